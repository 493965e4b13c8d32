import type { ApplicationRepo } from "../../data/applications.ts";
import { encryptSecret } from "../../lib/crypto.ts";
import { redactPersonalData } from "../../lib/text.ts";
import type { Dialog, DialogOutcome, DialogTurn, Skill } from "../dialog.ts";

/**
 * Staff asked for more information on an application (decision "request_info"): the
 * resident's next message is that information. It is attached to the application, which goes
 * back to the reviewers.
 */
export function infoRequestSkill(applications: ApplicationRepo, encryptionKey: Buffer): Skill {
  return {
    name: "info-request",
    async handle(turn: DialogTurn, dialog: Dialog): Promise<DialogOutcome | null> {
      const request = turn.state.infoRequest;
      if (!request || turn.status !== "bot") return null;
      const cleared = { ...turn.state, infoRequest: undefined };
      const application = await applications.findOpenInfoRequest(request.applicationId, turn.residentId);
      // Already decided or withdrawn meanwhile: nothing to attach, handle the message as usual.
      if (!application) return dialog.respondTo({ ...turn, state: cleared }, "info-request");
      // Staff may well have asked for a number (the landlord's phone): reviewers read it masked,
      // and the whole answer is kept encrypted for the audited reveal.
      const answer = redactPersonalData(turn.text);
      const answerEnc = answer === turn.text ? undefined : encryptSecret(encryptionKey, turn.text);
      return {
        intent: "info_reply",
        replies: [
          {
            intent: "info_reply",
            text: `收到，已把您补充的内容交给工作人员（申请编号 ${application.reference}）。审核有结果会在这里通知您 😊`,
          },
        ],
        state: { ...cleared, misunderstood: 0 },
        effects: [{ type: "application.answerInfoRequest", applicationId: application.id, answer, answerEnc }],
      };
    },
  };
}
