/**
 * The only metrics the dashboards may query that neither a running chat4all-server on in-memory
 * adapters nor chat4all-operator exports. The dashboards test reads every other metric from the
 * /metrics of real running roles and of the operator, and fails when one of these starts being
 * exported (then delete it here).
 */
export const PENDING_METRICS: Readonly<Record<string, string>> = {};
