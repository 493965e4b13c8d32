/** Optional LLM (any OpenAI-compatible endpoint): grounded rewriting of retrieved entries, with fallback. */
export { type AnswerFocus, chineseNumber, createLlm, type Llm, type LlmAnswer, quantitiesOf, validateAnswer } from "./client.ts";
export { maskPersonalData } from "./mask.ts";
