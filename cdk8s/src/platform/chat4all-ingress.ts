import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { componentLabels } from '../common/labels.js';
import { check, checkHost, checkInt, checkName } from '../common/validate.js';

/** ingress-nginx's annotations (https://kubernetes.github.io/ingress-nginx). */
export const NGINX = 'nginx.ingress.kubernetes.io';
/** Traefik's annotations for Ingresses and the Services behind them (its Kubernetes Ingress provider). */
export const TRAEFIK = 'traefik.ingress.kubernetes.io';

/** The ingress controllers whose annotations Chat4AllIngress can write. */
export type IngressControllerKind = 'traefik' | 'nginx';

/** Where an ingress controller's pods run, for the NetworkPolicies that admit their traffic. */
export interface IngressControllerPods {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}



export interface Chat4AllIngressProps {
  /** The api Service (port 8080) that serves every path but the WebSocket one. */
  readonly api: kplus.Service;
  /** The gateway Service (port 8085) that serves the WebSocket path. */
  readonly gateway: kplus.Service;
  /** @default 'chat4all' */
  readonly name?: string;
  /** Host name clients use. @default 'chat4all.localhost' */
  readonly host?: string;
  /**
   * The controller that serves the Ingress: the settings below are written as its annotations.
   * Traefik is maintained and honours all of them (affinity on the gateway Service, the timeout
   * on its entry points); ingress-nginx is retired upstream and kept for clusters that run it.
   * @default 'traefik'
   */
  readonly controller?: IngressControllerKind;
  /** IngressClass (set it with the controller: 'nginx' for ingress-nginx). @default 'traefik' */
  readonly className?: string;
  /** The namespace of the controller's pods, for the NetworkPolicies ('ingress-nginx' for ingress-nginx). @default 'traefik' */
  readonly controllerNamespace?: string;
  /** The `app.kubernetes.io/name` of the controller's pods ('ingress-nginx' for ingress-nginx). @default 'traefik' */
  readonly controllerPodName?: string;
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
   * so WebSockets never come near it; it only bounds dead upstreams. ingress-nginx takes it per
   * Ingress (annotations); Traefik per entry point (the controller's `idleTimeoutSeconds`, which
   * the kind cluster's Traefik sets to the same default). @default 3600
   */
  readonly proxyTimeoutSeconds?: number;
  /** The WebSocket path. @default '/notifications' */
  readonly websocketPath?: string;
}

/**
 * The platform's entry point: HTTPS on one host; `/notifications` to the gateways and everything
 * else to the api; cookie session affinity to a gateway pod; timeouts long enough for WebSockets.
 * The same settings are written the way the chosen controller reads them.
 */
export class Chat4AllIngress extends Construct {
  readonly ingress: kplus.Ingress;
  readonly host: string;
  readonly controller: IngressControllerKind;
  readonly controllerPods: IngressControllerPods;

  constructor(scope: Construct, id: string, props: Chat4AllIngressProps) {
    super(scope, id);
    const name = checkName(this, 'name', props.name ?? 'chat4all');
    this.host = checkHost(this, 'host', props.host ?? 'chat4all.localhost');
    this.controller = props.controller ?? 'traefik';
    check(this, this.controller === 'traefik' || this.controller === 'nginx', 'controller', `must be 'traefik' or 'nginx', got ${JSON.stringify(this.controller)}`);
    const className = checkName(this, 'className', props.className ?? 'traefik');
    this.controllerPods = {
      namespace: checkName(this, 'controllerNamespace', props.controllerNamespace ?? 'traefik'),
      labels: { 'app.kubernetes.io/name': checkName(this, 'controllerPodName', props.controllerPodName ?? 'traefik') },
    };
    const tlsSecretName = checkName(this, 'tlsSecretName', props.tlsSecretName ?? 'chat4all-tls');
    const timeout = checkInt(this, 'proxyTimeoutSeconds', props.proxyTimeoutSeconds ?? 3600, 60, 86_400);
    const maxAge = checkInt(this, 'affinityCookieMaxAgeSeconds', props.affinityCookieMaxAgeSeconds ?? 172_800, 60);
    const cookie = props.affinityCookieName ?? 'chat4all-affinity';
    check(this, /^[A-Za-z0-9_-]+$/.test(cookie), 'affinityCookieName', `must be a cookie name of letters, digits, '_' and '-', got ${JSON.stringify(cookie)}`);
    const wsPath = props.websocketPath ?? '/notifications';
    check(this, /^\/[A-Za-z0-9/_-]*$/.test(wsPath) && wsPath !== '/', 'websocketPath', `must be an absolute path other than '/', got ${JSON.stringify(wsPath)}`);

    const annotations: Record<string, string> = {};
    if (this.controller === 'nginx') {
      Object.assign(annotations, {
        [`${NGINX}/affinity`]: 'cookie',
        [`${NGINX}/affinity-mode`]: 'balanced',
        [`${NGINX}/session-cookie-name`]: cookie,
        [`${NGINX}/session-cookie-max-age`]: String(maxAge),
        [`${NGINX}/session-cookie-secure`]: 'true',
        [`${NGINX}/session-cookie-samesite`]: 'Lax',
        [`${NGINX}/proxy-read-timeout`]: String(timeout),
        [`${NGINX}/proxy-send-timeout`]: String(timeout),
        [`${NGINX}/ssl-redirect`]: 'true',
        // Attachments: no body limit at the proxy (the api bounds each upload by its declared size
        // and ATTACHMENT_MAX_BYTES) and uploads streamed to the api, not spooled to the controller's disk.
        [`${NGINX}/proxy-body-size`]: '0',
        [`${NGINX}/proxy-request-buffering`]: 'off',
      });
    } else {
      // Routers on the HTTPS entry point only (the controller redirects HTTP there).
      Object.assign(annotations, { [`${TRAEFIK}/router.entrypoints`]: 'websecure', [`${TRAEFIK}/router.tls`]: 'true' });
      // Traefik keeps affinity per Service: the gateway's.
      const sticky: Record<string, string> = {
        'service.sticky.cookie': 'true',
        'service.sticky.cookie.name': cookie,
        'service.sticky.cookie.secure': 'true',
        'service.sticky.cookie.httponly': 'true',
        'service.sticky.cookie.samesite': 'lax',
        'service.sticky.cookie.maxage': String(maxAge),
      };
      for (const [k, v] of Object.entries(sticky)) props.gateway.metadata.addAnnotation(`${TRAEFIK}/${k}`, v);
    }
    if (props.certManagerClusterIssuer) annotations['cert-manager.io/cluster-issuer'] = checkName(this, 'certManagerClusterIssuer', props.certManagerClusterIssuer);

    this.ingress = new kplus.Ingress(this, 'Resource', {
      metadata: { name, labels: componentLabels(name, 'ingress'), annotations },
      className,
      tls: [{ hosts: [this.host], secret: kplus.Secret.fromSecretName(this, 'Tls', tlsSecretName) }],
    });
    this.ingress.addHostRule(this.host, wsPath, kplus.IngressBackend.fromService(props.gateway, { port: 8085 }), kplus.HttpIngressPathType.PREFIX);
    this.ingress.addHostRule(this.host, '/', kplus.IngressBackend.fromService(props.api, { port: 8080 }), kplus.HttpIngressPathType.PREFIX);
  }
}
