/** The RADIUS codec: what the rest of OpenMnT may use. */
export {
  Code,
  ERROR_CAUSE,
  VENDORS,
  attributeByName,
  attributeByType,
  attributeValueName,
  attributeValueNumber,
  codeName,
  errorCauseText,
  type AttributeDef,
  type DataType,
} from './dictionary.js';
export { peekHeader, type RadiusHeader } from './header.js';
export {
  decodePacket,
  encodePacket,
  encodeResponse,
  responseBasis,
  type Attribute,
  type AttributeInput,
  type AttributeValue,
  type EncodeOptions,
  type PacketInput,
  type RadiusPacket,
} from './packet.js';
export {
  hideUserPassword,
  revealUserPassword,
  verifyMessageAuthenticator,
  verifyRequestAuthenticator,
  verifyResponseAuthenticator,
  type Secret,
} from './authenticator.js';
export { ciscoAvPair, ciscoAvPairs, getAttribute, getAttributes, getNumber, getString } from './accessors.js';
export { registerDictionary, type RegisterResult } from './dictionary.js';
export { loadDictionaryFiles, parseDictionary, type DictionaryDefinitions } from './dictionary-files.js';
