import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Construct } from 'constructs';
import { Chat4AllIngress, type Chat4AllIngressProps } from '../src/platform/chat4all-ingress.js';
import { ServerWorkload } from '../src/platform/server-workload.js';
import { one, synthOf } from './support/synth.js';

const jwtSecret = { name: 'chat4all-jwt', key: 'JWT_SECRET' };
function withIngress(props: Omit<Chat4AllIngressProps, 'api' | 'gateway'> = {}) {
  return synthOf((s: Construct) => {
    const api = new ServerWorkload(s, 'Api', { role: 'api', jwtSecret });
    const gateway = new ServerWorkload(s, 'Gateway', { role: 'gateway', jwtSecret, replicas: 'external' });
    new Chat4AllIngress(s, 'Ingress', { ...props, api: api.service, gateway: gateway.service });
  });
}

describe('Chat4AllIngress', () => {
  it('by default writes Traefik\u2019s settings: HTTPS routers, and cookie affinity on the gateway Service', () => {
    const objects = withIngress();
    const ingress = one(objects, 'Ingress');
    assert.equal(ingress.spec.ingressClassName, 'traefik');
    assert.equal(ingress.metadata.annotations['traefik.ingress.kubernetes.io/router.entrypoints'], 'websecure');
    assert.equal(ingress.metadata.annotations['traefik.ingress.kubernetes.io/router.tls'], 'true');
    const sticky = one(objects, 'Service', 'chat4all-gateway').metadata.annotations;
    assert.equal(sticky['traefik.ingress.kubernetes.io/service.sticky.cookie'], 'true');
    assert.equal(sticky['traefik.ingress.kubernetes.io/service.sticky.cookie.name'], 'chat4all-affinity');
    assert.equal(sticky['traefik.ingress.kubernetes.io/service.sticky.cookie.secure'], 'true');
    assert.equal(sticky['traefik.ingress.kubernetes.io/service.sticky.cookie.maxage'], '172800');
    assert.equal(one(objects, 'Service', 'chat4all-api').metadata.annotations, undefined, 'the api needs no affinity');
    assert.ok(!Object.keys(ingress.metadata.annotations).some((k) => k.startsWith('nginx.')));
  });

  it('for ingress-nginx, pins clients with its cookie annotations, balanced, with long proxy timeouts', () => {
    const objects = withIngress({ controller: 'nginx', className: 'nginx', proxyTimeoutSeconds: 7200 });
    const a = one(objects, 'Ingress').metadata.annotations;
    assert.equal(a['nginx.ingress.kubernetes.io/affinity'], 'cookie');
    assert.equal(a['nginx.ingress.kubernetes.io/affinity-mode'], 'balanced');
    assert.equal(a['nginx.ingress.kubernetes.io/session-cookie-name'], 'chat4all-affinity');
    assert.equal(a['nginx.ingress.kubernetes.io/session-cookie-max-age'], '172800');
    assert.equal(a['nginx.ingress.kubernetes.io/proxy-read-timeout'], '7200');
    assert.equal(a['nginx.ingress.kubernetes.io/proxy-send-timeout'], '7200');
    assert.equal(a['nginx.ingress.kubernetes.io/proxy-body-size'], '0', 'uploads of attachments are bounded by the api, not the proxy');
    assert.equal(a['nginx.ingress.kubernetes.io/proxy-request-buffering'], 'off');
    assert.equal(one(objects, 'Ingress').spec.ingressClassName, 'nginx');
    assert.equal(one(objects, 'Service', 'chat4all-gateway').metadata.annotations, undefined);
  });

  it('serves the host over TLS, WebSockets to the gateways and the rest to the api', () => {
    const spec = one(withIngress({ host: 'chat.example.com', tlsSecretName: 'chat-tls' }), 'Ingress').spec;
    assert.deepEqual(spec.tls, [{ hosts: ['chat.example.com'], secretName: 'chat-tls' }]);
    const paths = Object.fromEntries(spec.rules[0].http.paths.map((p: any) => [p.path, `${p.backend.service.name}:${p.backend.service.port.number}`]));
    assert.deepEqual(paths, { '/': 'chat4all-api:8080', '/notifications': 'chat4all-gateway:8085' });
    assert.equal(spec.rules[0].host, 'chat.example.com');
  });

  it('asks cert-manager for the certificate only when told to', () => {
    assert.equal(one(withIngress(), 'Ingress').metadata.annotations['cert-manager.io/cluster-issuer'], undefined);
    assert.equal(one(withIngress({ certManagerClusterIssuer: 'letsencrypt' }), 'Ingress').metadata.annotations['cert-manager.io/cluster-issuer'], 'letsencrypt');
  });

  it('rejects bad hosts, timeouts and paths', () => {
    assert.throws(() => withIngress({ host: 'Not A Host' }), /host must be a DNS-1123 subdomain/);
    assert.throws(() => withIngress({ proxyTimeoutSeconds: 5 }), /proxyTimeoutSeconds/);
    assert.throws(() => withIngress({ websocketPath: '/' }), /websocketPath/);
    assert.throws(() => withIngress({ controller: 'haproxy' as never }), /controller must be 'traefik' or 'nginx'/);
  });
});
