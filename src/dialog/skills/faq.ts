import { flowOfferFor } from "../../flows/triggers.ts";
import type { Effect } from "../../domain/effects.ts";
import {
  type OfferReason,
  composeAnswer,
  composeClarify,
  composeDistress,
  composeFeedbackThanks,
  composeLlmAnswer,
  composeOutOfScope,
  composeUnknown,
} from "../../knowledge/answer.ts";
import type { Catalogue, Entry, SearchHit } from "../../knowledge/index.ts";
import type { Llm } from "../../llm/index.ts";
import { detectIntent, isDistress } from "../../nlu/intents.ts";
import type { DialogOutcome, DialogTurn, Skill } from "../dialog.ts";
import type { ConversationState } from "../state.ts";

export interface FaqDeps {
  catalogue: Catalogue;
  llm?: Llm | null;
}

/** The entry whose configurable crisis hotline is part of distress signposting. */
const COUNSELING = "community.counseling";
/** Entries retrieved alongside the main one that the LLM may also draw on. */
const LLM_CONTEXT = 3;

function recordEffect(catalogue: Catalogue, question: string): Effect {
  const normalized = catalogue.analyzer.normalize(question);
  return { type: "unanswered.record", question, normalized };
}

function relatedOf(catalogue: Catalogue, entry: Entry): Entry[] {
  return entry.related.map((id) => catalogue.get(id)).filter((e): e is Entry => Boolean(e));
}

/**
 * Policy answers from the catalogue. Answers any catalogue question whatever the state (a guided
 * flow calls `dialog.respondTo(turn, "flows")` for a question asked midway), asks back when two
 * or three entries are equally likely, refuses what is out of scope, and records every question
 * it could not answer for staff.
 */
export function faqSkill({ catalogue, llm }: FaqDeps): Skill {
  async function answer(turn: DialogTurn, hits: SearchHit[], also?: SearchHit): Promise<DialogOutcome> {
    const alsoEntry = also?.entry;
    let main = hits[0]!.entry;
    let reply = composeAnswer(main, {
      question: turn.text,
      related: relatedOf(catalogue, main),
      also: alsoEntry,
      offer: main.sensitive,
      action: flowOfferFor([main.id]),
    });
    if (llm) {
      const context = hits.slice(0, LLM_CONTEXT);
      const written = await llm.answer(
        turn.text,
        context.map((h) => h.entry),
      );
      if (written) {
        // Best first: the retrieval order of the entries the model cited.
        const cited = context.filter((h) => written.cites.includes(h.id)).map((h) => h.entry);
        main = cited[0]!;
        reply = composeLlmAnswer(written.text, cited, {
          related: relatedOf(catalogue, main),
          also: alsoEntry,
          offer: main.sensitive,
          action: flowOfferFor(cited.map((e) => e.id)),
        });
      }
    }
    const offer: OfferReason | undefined = main.sensitive;
    const state: ConversationState = {
      ...turn.state,
      misunderstood: 0,
      lastSources: reply.sources,
      offer: offer ? "handoff" : undefined,
      offerReason: offer,
    };
    return { intent: "faq", replies: [reply], state };
  }

  return {
    name: "faq",
    async handle(turn: DialogTurn): Promise<DialogOutcome | null> {
      if (turn.kind !== "text" || !turn.text) return null;
      const u = catalogue.understand(turn.text);
      switch (u.kind) {
        case "answer":
          return answer(turn, u.hits, u.also);
        case "clarify": {
          const picked = llm
            ? await llm.choose(
                turn.text,
                u.candidates.map((c) => c.entry),
              )
            : null;
          const hit = picked ? u.candidates.find((c) => c.id === picked) : undefined;
          if (hit) return answer(turn, [hit, ...u.candidates.filter((c) => c !== hit)]);
          return {
            intent: "clarify",
            replies: [composeClarify(u.candidates.map((c) => c.entry))],
            state: { ...turn.state, misunderstood: 0, lastSources: undefined },
          };
        }
        case "out_of_scope":
          return {
            intent: "out_of_scope",
            replies: [composeOutOfScope(u.reason)],
            state: { ...turn.state, lastSources: undefined },
            effects: [recordEffect(catalogue, turn.text)],
          };
        case "unknown":
          return {
            intent: "fallback",
            replies: [composeUnknown(u.hits.filter((h) => h.score > 0).map((h) => h.entry))],
            state: { ...turn.state, lastSources: undefined, misunderstood: turn.state.misunderstood + 1 },
            effects: [recordEffect(catalogue, turn.text)],
          };
      }
    },
  };
}

/**
 * 有用/没用 (or 👍/👎) right after an answer: recorded for each entry the answer cited. Runs
 * before the guards, which would otherwise take a lone 👍 for "no words".
 */
export function feedbackSkill(): Skill {
  return {
    name: "feedback",
    handle(turn: DialogTurn): DialogOutcome | null {
      const sources = turn.state.lastSources;
      if (turn.kind !== "text" || turn.status !== "bot" || !sources?.length) return null;
      const intent = detectIntent(turn.text)?.intent;
      if (intent !== "feedback:helpful" && intent !== "feedback:unhelpful") return null;
      const helpful = intent === "feedback:helpful";
      return {
        intent: "feedback",
        replies: [composeFeedbackThanks(helpful)],
        state: { ...turn.state, lastSources: undefined },
        effects: sources.map((s): Effect => ({ type: "feedback.record", entryId: s.id, helpful })),
      };
    },
  };
}

/**
 * Words of distress or self-harm: immediate signposting (emergency numbers, the crisis hotline
 * when staff filled it in) and an offer of a person — before anything else, even mid-flow.
 */
export function safetySkill(catalogue: Catalogue): Skill {
  return {
    name: "safety",
    handle(turn: DialogTurn): DialogOutcome | null {
      if (turn.kind !== "text" || turn.status === "staff" || !isDistress(turn.text)) return null;
      // Already waiting for staff: signpost, and leave the queue as it is.
      if (turn.status === "escalated") {
        return { intent: "distress", replies: [composeDistress(catalogue.get(COUNSELING), false)], state: turn.state };
      }
      const reply = composeDistress(catalogue.get(COUNSELING), true);
      return {
        intent: "distress",
        replies: [reply],
        state: { ...turn.state, offer: "handoff", offerReason: "distress", lastSources: undefined },
      };
    },
  };
}
