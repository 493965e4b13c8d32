import type { ApplicationRepo } from "../data/applications.ts";

export type SlotValue = string | number | boolean | null;

/**
 * Named code that fills hidden slots (names starting with "_") when a flow starts, so a flow
 * file can offer earlier answers declaratively (`when: { _hasLast: true }`, `copy:`).
 */
export const prefillSlots = {
  last_address_report: [
    "_hasLast",
    "_lastName",
    "_lastIdNumber",
    "_lastDistrict",
    "_lastAddress",
    "_lastSummary",
    "_lastReference",
  ],
} as const satisfies Record<string, readonly string[]>;
export type PrefillName = keyof typeof prefillSlots;

/** Runs a prefill for a resident; the ID number comes along masked, with its ciphertext only. */
export async function runPrefill(
  name: PrefillName,
  applications: ApplicationRepo,
  residentId: string,
): Promise<Record<string, SlotValue>> {
  switch (name) {
    case "last_address_report": {
      const last = await applications.latest(residentId, "address_report");
      if (!last?.name || !last.idNumberEnc || !last.idNumberMasked) return {};
      const address = typeof last.data.address === "string" ? last.data.address : "";
      return {
        _hasLast: true,
        _lastName: last.name,
        _lastIdNumber: last.idNumberMasked,
        "_lastIdNumber#enc": last.idNumberEnc,
        _lastDistrict: last.district,
        _lastAddress: address,
        _lastReference: last.reference,
        _lastSummary: `${last.name}，身份证号 ${last.idNumberMasked}，${[last.district, address].filter(Boolean).join(" ")}（申请编号 ${last.reference}）`,
      };
    }
  }
}
