import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { componentLabels } from '../common/labels.js';
import { check, checkHost, checkInt, checkName } from '../common/validate.js';

/** The ingress-nginx annotations this construct sets (https://kubernetes.github.io/ingress-nginx). */
export const NGINX = 'nginx.ingress.kubernetes.io';

export interface Chat4AllIngressProps {
  /** The api Service (port 8080) that serves every path but the WebSocket one. */
  readonly api: kplus.Service;
  /** The gateway Service (port 8085) that serves the WebSocket path. */
  readonly gateway: kplus.Service;
  /** @default 'chat4all' */
  readonly name?: string;
  /** Host name clients use. @default 'chat4all.localhost' */
  readonly host?: string;
  /** IngressClass. @default 'nginx' */
  readonly className?: string;
  /** The TLS Secret (kubernetes.io/tls) for `host`; `make deploy` creates a self-signed one. @default 'chat4all-tls' */
  readonly tlsSecretName?: string;
  /** Adds `cert-manager.io/cluster-issuer` so cert-manager issues the TLS Secret. @default none */
  readonly certManagerClusterIssuer?: string;
  /** The cookie that pins a client to one gateway pod. @default 'chat4all-affinity' */
  readonly affinityCookieName?: string;
  /** Lifetime of that cookie, seconds. @default 172800 (48 h) */
  readonly affinityCookieMaxAgeSeconds?: number;
  /**
   * How long an idle proxied connection may stay silent, seconds. The gateway pings every 15 s,
   * so WebSockets never come near it; it only bounds dead upstreams. @default 3600
   */
  readonly proxyTimeoutSeconds?: number;
  /** The WebSocket path. @default '/notifications' */
  readonly websocketPath?: string;
}

/**
 * The platform's entry point, for ingress-nginx: HTTPS on one host; `/notifications` to the
 * gateways and everything else to the api; cookie session affinity in `balanced` mode (sticky, yet
 * some sessions move to new pods when the gateways scale out); timeouts long enough for WebSockets.
 */
export class Chat4AllIngress extends Construct {
  readonly ingress: kplus.Ingress;
  readonly host: string;

  constructor(scope: Construct, id: string, props: Chat4AllIngressProps) {
    super(scope, id);
    const name = checkName(this, 'name', props.name ?? 'chat4all');
    this.host = checkHost(this, 'host', props.host ?? 'chat4all.localhost');
    const tlsSecretName = checkName(this, 'tlsSecretName', props.tlsSecretName ?? 'chat4all-tls');
    const timeout = checkInt(this, 'proxyTimeoutSeconds', props.proxyTimeoutSeconds ?? 3600, 60, 86_400);
    const maxAge = checkInt(this, 'affinityCookieMaxAgeSeconds', props.affinityCookieMaxAgeSeconds ?? 172_800, 60);
    const cookie = props.affinityCookieName ?? 'chat4all-affinity';
    check(this, /^[A-Za-z0-9_-]+$/.test(cookie), 'affinityCookieName', `must be a cookie name of letters, digits, '_' and '-', got ${JSON.stringify(cookie)}`);
    const wsPath = props.websocketPath ?? '/notifications';
    check(this, /^\/[A-Za-z0-9/_-]*$/.test(wsPath) && wsPath !== '/', 'websocketPath', `must be an absolute path other than '/', got ${JSON.stringify(wsPath)}`);

    const annotations: Record<string, string> = {
      [`${NGINX}/affinity`]: 'cookie',
      [`${NGINX}/affinity-mode`]: 'balanced',
      [`${NGINX}/session-cookie-name`]: cookie,
      [`${NGINX}/session-cookie-max-age`]: String(maxAge),
      [`${NGINX}/session-cookie-secure`]: 'true',
      [`${NGINX}/session-cookie-samesite`]: 'Lax',
      [`${NGINX}/proxy-read-timeout`]: String(timeout),
      [`${NGINX}/proxy-send-timeout`]: String(timeout),
      [`${NGINX}/ssl-redirect`]: 'true',
    };
    if (props.certManagerClusterIssuer) annotations['cert-manager.io/cluster-issuer'] = checkName(this, 'certManagerClusterIssuer', props.certManagerClusterIssuer);

    this.ingress = new kplus.Ingress(this, 'Resource', {
      metadata: { name, labels: componentLabels(name, 'ingress'), annotations },
      className: props.className ?? 'nginx',
      tls: [{ hosts: [this.host], secret: kplus.Secret.fromSecretName(this, 'Tls', tlsSecretName) }],
    });
    this.ingress.addHostRule(this.host, wsPath, kplus.IngressBackend.fromService(props.gateway, { port: 8085 }), kplus.HttpIngressPathType.PREFIX);
    this.ingress.addHostRule(this.host, '/', kplus.IngressBackend.fromService(props.api, { port: 8080 }), kplus.HttpIngressPathType.PREFIX);
  }
}
