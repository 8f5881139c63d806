export { SyslogForwarder, type SyslogTarget } from './sender.js';
export { accountingMessage, authenticationMessage, frames, messageBody, MESSAGE_CODES, type IseMessage, type SyslogHeader } from './format.js';
