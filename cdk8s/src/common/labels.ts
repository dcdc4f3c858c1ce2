/** The labels every Chat4All object carries, and the subset a workload selects its pods by. */
export const PART_OF = 'chat4all';

/** `app.kubernetes.io/*` labels of a component: its name, what it is part of and its role. */
export function componentLabels(name: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': PART_OF,
  };
}

/** The stable selector of a workload's pods: its name alone (never changes across upgrades). */
export function selectorLabels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name };
}
