export { emptyProxyConfig, HOME_SERVER_DEFAULTS, type HomePoolConfig, type HomeServerConfig, type ProxyConfig, type ProxyRouteConfig, type RealmConfig } from './config.js';
export { RadiusProxy, profileFromAnswer, realmMatch, type ProxiedAccess, type ProxyRoute } from './proxy.js';
export { requestForHome, replyForNas, rawAttributes } from './relay.js';
export { EAP_METHODS, methodName } from './eap.js';
export type { HomeServerStats, HomeState } from './home-servers.js';
export { parseProxyConfig } from './parse.js';
export { overrideAccept } from './override.js';
