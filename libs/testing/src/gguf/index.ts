export { writeTestModel, type TestModelInfo, type TestModelOptions } from './test-model.writer.js';
export { encodeGguf, gguf, GgufValueType, type GgufTensor, type GgufValue } from './gguf-file.writer.js';
export { chatMlChatTemplate, qwenToolsChatTemplate } from './chat-templates.js';
export { buildTestVocab, specialTokens, TokenType } from './test-vocab.js';
