import { flowOfferFor } from "../../flows/triggers.ts";
import type { Effect } from "../../domain/effects.ts";
import {
  type AnswerContext,
  composeAnswer,
  composeClarify,
  composeClarifyTopic,
  composeDistress,
  composeFeedbackThanks,
  composeLlmAnswer,
  composeNeedTopic,
  composeOutOfScope,
  composeUnknown,
} from "../../knowledge/answer.ts";
import type { Catalogue, Entry, PartKey, SearchHit, TopicContext } from "../../knowledge/index.ts";
import type { Llm } from "../../llm/index.ts";
import { detectIntent, isDistress } from "../../nlu/intents.ts";
import type { DialogOutcome, DialogTurn, Skill } from "../dialog.ts";
import type { ConversationState, Topic } from "../state.ts";
import type { Reply, Source } from "../../domain/types.ts";

export interface FaqDeps {
  /** The catalogue, or where to read the current one at each turn (staff publish while the service runs). */
  catalogue: Catalogue | (() => Catalogue);
  llm?: Llm | null;
}

const currentOf = (c: Catalogue | (() => Catalogue)): (() => Catalogue) => (typeof c === "function" ? c : () => c);

/** The entry whose configurable crisis hotline is part of distress signposting. */
const COUNSELING = "community.counseling";
/** Entries retrieved alongside the main one that the LLM may also draw on. */
const LLM_CONTEXT = 3;

/**
 * How long a topic lasts. A resident asking about one errand sends the next question within
 * minutes; half an hour later a bare "要带什么" is more likely about something new, and answering
 * it from an old topic would mislead. The same window as an unfinished reminder set-up.
 */
export const TOPIC_TTL_MS = 30 * 60 * 1000;

/** The topic while it lasts. */
export function liveTopic(state: ConversationState, now: number): Topic | undefined {
  const t = state.topic;
  return t && now - t.at < TOPIC_TTL_MS ? t : undefined;
}

function recordEffect(catalogue: Catalogue, question: string): Effect {
  const normalized = catalogue.analyzer.normalize(question);
  return { type: "unanswered.record", question, normalized };
}

function relatedOf(catalogue: Catalogue, entry: Entry): Entry[] {
  return entry.related.map((id) => catalogue.get(id)).filter((e): e is Entry => Boolean(e));
}

/** Entry sources only: 有用/没用 feedback is about entries, not the national facts cited with them. */
function entrySources(catalogue: Catalogue, replies: readonly Reply[]): Source[] {
  return replies.flatMap((r) => r.sources ?? []).filter((s) => catalogue.get(s.id));
}

/**
 * Policy answers from the catalogue. Answers any catalogue question whatever the state (a guided
 * flow calls `dialog.respondTo(turn, "flows")` for a question asked midway) and the follow-ups
 * of the conversation's topic with the part asked; asks back when two or three entries are
 * equally likely or a follow-up fits two topics; declines what is out of scope (other cities,
 * tasks); records every question it could not answer for staff.
 */
export function faqSkill({ catalogue: given, llm }: FaqDeps): Skill {
  const current = currentOf(given);
  function context(catalogue: Catalogue, entry: Entry, also?: Entry): AnswerContext {
    return { catalogue, related: relatedOf(catalogue, entry), also, offer: entry.sensitive, action: flowOfferFor([entry.id]) };
  }

  /**
   * Retrieval answers depend only on the entry, the parts and the other entry asked about: composed
   * once per catalogue and reused (read-only), as the entries themselves are. A published
   * catalogue is a new object, so its answers are composed afresh.
   */
  const composedBy = new WeakMap<Catalogue, Map<string, Reply>>();
  function retrievalAnswer(catalogue: Catalogue, entry: Entry, parts: readonly PartKey[], also?: Entry): Reply {
    let composed = composedBy.get(catalogue);
    if (!composed) {
      composed = new Map();
      composedBy.set(catalogue, composed);
    }
    const key = `${entry.id}|${parts.join(",")}|${also?.id ?? ""}`;
    let reply = composed.get(key);
    if (!reply) {
      reply = composeAnswer(entry, parts, context(catalogue, entry, also));
      if (composed.size >= 4096) composed.clear();
      composed.set(key, reply);
    }
    return reply;
  }

  async function answer(
    catalogue: Catalogue,
    turn: DialogTurn,
    hits: SearchHit[],
    parts: PartKey[],
    also?: { hit: SearchHit; parts: PartKey[] },
    fromTopic = false,
  ): Promise<DialogOutcome> {
    let main = hits[0]!.entry;
    const alsoEntry = also?.hit.entry;
    let reply = retrievalAnswer(catalogue, main, parts, alsoEntry);
    let action = flowOfferFor([main.id]);
    if (llm) {
      const entries = hits.slice(0, LLM_CONTEXT).map((h) => h.entry);
      const national = [...new Set([...main.national, ...parts.flatMap((k) => main.parts[k]?.national ?? [])])]
        .map((id) => catalogue.fact(id))
        .filter((f) => f !== undefined);
      const written = await llm.answer(turn.text, entries, { parts, national, ...(fromTopic ? { topic: main.title } : {}) });
      if (written) {
        // Best first: the retrieval order of the entries the model cited.
        const cited = entries.filter((e) => written.cites.includes(e.id));
        main = cited[0]!;
        action = flowOfferFor(cited.map((e) => e.id));
        reply = composeLlmAnswer(written.text, cited, parts, { ...context(catalogue, main, alsoEntry), action });
      }
    }
    const replies = [reply];
    // The second question of the message: answered too, with its own citation.
    if (alsoEntry) replies.push(retrievalAnswer(catalogue, alsoEntry, also!.parts));
    const offer = main.sensitive;
    const topic: Topic = {
      entries: [main.id, ...(alsoEntry ? [alsoEntry.id] : [])],
      parts: parts.length ? parts : ["summary"],
      ...(action ? { flow: action.choice, flowAsked: reply.text.includes(action.text) } : {}),
      at: turn.now,
    };
    const state: ConversationState = {
      ...turn.state,
      misunderstood: 0,
      topic,
      lastSources: entrySources(catalogue, replies),
      offer: offer ? "handoff" : undefined,
      offerReason: offer,
    };
    return { intent: "faq", replies, state };
  }

  function declined(catalogue: Catalogue, turn: DialogTurn, reply: Reply, extra: Partial<ConversationState> = {}): DialogOutcome {
    return {
      intent: reply.intent,
      replies: [reply],
      state: { ...turn.state, lastSources: undefined, topic: undefined, ...extra },
      effects: [recordEffect(catalogue, turn.text)],
    };
  }

  return {
    name: "faq",
    async handle(turn: DialogTurn): Promise<DialogOutcome | null> {
      if (turn.kind !== "text" || !turn.text) return null;
      // Read once per turn: a publish meanwhile applies from the next message.
      const catalogue = current();
      const topic = liveTopic(turn.state, turn.now);
      const ctx: TopicContext | undefined = topic
        ? { entries: topic.entries, pending: topic.pending as TopicContext["pending"] }
        : undefined;
      const u = catalogue.understandInContext(turn.text, ctx);
      switch (u.kind) {
        case "answer":
          return answer(catalogue, turn, u.hits, u.parts, u.also, u.fromTopic);
        case "clarify": {
          const picked = llm
            ? await llm.choose(
                turn.text,
                u.candidates.map((c) => c.entry),
              )
            : null;
          const hit = picked ? u.candidates.find((c) => c.id === picked) : undefined;
          if (hit) return answer(catalogue, turn, [hit, ...u.candidates.filter((c) => c !== hit)], []);
          // The candidates become the topic: a follow-up before the pick ("那要带什么") asks which one.
          return {
            intent: "clarify",
            replies: [composeClarify(u.candidates.map((c) => c.entry))],
            state: {
              ...turn.state,
              misunderstood: 0,
              lastSources: undefined,
              topic: { entries: u.candidates.map((c) => c.id), parts: [], at: turn.now },
            },
          };
        }
        case "clarify_topic":
          return {
            intent: "clarify",
            replies: [composeClarifyTopic(u.candidates, u.parts)],
            state: { ...turn.state, misunderstood: 0, lastSources: undefined, topic: { ...topic!, pending: u.parts } },
          };
        case "need_topic":
          return {
            intent: "clarify",
            replies: [composeNeedTopic(u.parts)],
            state: {
              ...turn.state,
              misunderstood: 0,
              lastSources: undefined,
              topic: { entries: [], parts: [], pending: u.parts, at: turn.now },
            },
          };
        case "out_of_scope":
          return declined(catalogue, turn, composeOutOfScope(u.reason, u.city));
        case "unknown":
          return declined(catalogue, turn, composeUnknown(u.hits.filter((h) => h.score > 0).map((h) => h.entry)), {
            misunderstood: turn.state.misunderstood + 1,
            // A message not understood leaves the topic as it was: the next follow-up still fits.
            topic: turn.state.topic,
          });
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
 * Words of distress or self-harm: immediate signposting (emergency numbers, the crisis hotlines)
 * and an offer of a person — before anything else, even mid-flow.
 */
export function safetySkill(given: Catalogue | (() => Catalogue)): Skill {
  const current = currentOf(given);
  return {
    name: "safety",
    handle(turn: DialogTurn): DialogOutcome | null {
      if (turn.kind !== "text" || turn.status === "staff" || !isDistress(turn.text)) return null;
      const catalogue = current();
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
