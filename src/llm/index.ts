/** Optional LLM (any OpenAI-compatible endpoint): grounded rewriting of retrieved entries, with fallback. */
export { createLlm, type Llm, type LlmAnswer, validateAnswer } from "./client.ts";
export { maskPersonalData } from "./mask.ts";
