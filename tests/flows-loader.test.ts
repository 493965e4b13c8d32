import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createFlowsSkill } from "../src/flows/skill.ts";
import { defaultIntentsDir, FlowFileError, loadFlows } from "../src/flows/loader.ts";
import { flowOfferFor, matchTrigger } from "../src/flows/triggers.ts";

const original = readFileSync(join(defaultIntentsDir, "address-report.yml"), "utf8");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of intents/ with address-report.yml replaced by `text`. */
function intentsWith(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "yongju-intents-"));
  dirs.push(dir);
  for (const f of ["address-deregistration.yml", "permit-endorsement.yml", "permit-replacement.yml"])
    copyFileSync(join(defaultIntentsDir, f), join(dir, f));
  writeFileSync(join(dir, "address-report.yml"), text);
  return dir;
}

function errorOf(text: string): FlowFileError {
  try {
    loadFlows(intentsWith(text));
  } catch (err) {
    if (err instanceof FlowFileError) return err;
    throw err;
  }
  throw new Error("the broken file loaded");
}

describe("flow files", () => {
  it("the flows in intents/ load", () => {
    const flows = loadFlows();
    expect([...flows.keys()].sort()).toEqual([
      "address_deregistration",
      "address_report",
      "permit_endorsement",
      "permit_replacement",
    ]);
    const report = flows.get("address_report")!;
    expect(report.steps.map((s) => s.slot)).toEqual([
      "name",
      "idNumber",
      "phone",
      "district",
      "address",
      "moveInDate",
      "housingType",
      "landlordPhone",
    ]);
    expect(report.steps.find((s) => s.slot === "landlordPhone")?.choices).toEqual(["跳过"]);
  });

  it("the consent notice states the retention periods, filled in from configuration", () => {
    const retention = (flows: ReturnType<typeof loadFlows>) => [...flows.values()].map((f) => f.consent.retention);
    for (const text of retention(loadFlows())) {
      expect(text).toBe("聊天记录保存到最后一次对话后1年，申请材料保存到审核完成后3年，到期自动删除");
    }
    const configured = retention(loadFlows(undefined, { transcriptDays: 180, applicationDays: 730 }));
    expect(configured).toHaveLength(4);
    for (const text of configured)
      expect(text).toBe("聊天记录保存到最后一次对话后180天，申请材料保存到审核完成后2年，到期自动删除");

    // A statement that does not say the periods, or names an unknown one, stops start-up.
    expect(errorOf(original.replace(/retention: .*/, "retention: 按规定期限保存")).message).toMatch(
      /address-report\.yml: consent\.retention: must state the period with \{transcripts\}/,
    );
    expect(errorOf(original.replace("{applications}", "{application}")).message).toMatch(
      /consent\.retention: unknown placeholder \{application\}/,
    );
  });

  it("a broken file names the file and the field", () => {
    const badValidator = errorOf(original.replace("validator: mobile_phone }", "validator: mobile }"));
    expect(badValidator.message).toMatch(/address-report\.yml: steps\[2\]\.validation\.validator/);

    const badOption = errorOf(original.replace("minLength: 6", "minLength: six"));
    expect(badOption.message).toMatch(/address-report\.yml: steps\[4\]\.validation\.options\.minLength/);

    const badType = errorOf(original.replace("type: phone\n    label: 手机号", "type: telephone\n    label: 手机号"));
    expect(badType.message).toMatch(/steps\[2\]\.type/);

    const laterSlot = errorOf(original.replace("when: { housingType: 租房 }", "when: { nickname: 租房 }"));
    expect(laterSlot.message).toMatch(/steps\[7\]\.when\.nickname: conditions may only name earlier/);

    const missingPrompt = errorOf(original.replace("    prompt: 请问您的姓名是？（和身份证上一致）\n", ""));
    expect(missingPrompt.message).toMatch(/steps\[0\]\.prompt/);

    expect(errorOf("kind: flow\nid: [").message).toMatch(/address-report\.yml: not valid YAML/);
    expect(errorOf("id: address_report\n").message).toMatch(/address-report\.yml: kind/);
  });

  it("start-up stops on a broken flow file", () => {
    const dir = intentsWith(original.replace(/retention: .*/, "retention: 0"));
    // buildDialog creates the skill at start-up; the skill loads and checks the flow files.
    const deps = { config: { TZ: "Asia/Shanghai" }, secrets: {} as never, store: {} as never, log: {} as never };
    expect(() => createFlowsSkill({ ...deps, intentsDir: dir })).toThrow(/address-report\.yml: consent\.retention/);
    expect(createFlowsSkill({ ...deps, intentsDir: defaultIntentsDir }).name).toBe("flows");
  });
});

describe("triggers", () => {
  const flows = loadFlows();
  const id = (text: string) => matchTrigger(text, flows.values())?.flow.id ?? null;

  it("imperatives start a flow", () => {
    expect(id("我要登记")).toBe("address_report");
    expect(id("居住登记申报")).toBe("address_report");
    expect(id("登记住址")).toBe("address_report");
    expect(id("我想登记一下住址")).toBe("address_report");
    expect(id("我要注销")).toBe("address_deregistration");
    expect(id("搬走了要注销")).toBe("address_deregistration");
    expect(id("帮我注销居住登记")).toBe("address_deregistration");
    expect(id("我要签注")).toBe("permit_endorsement");
    expect(id("签注居住证")).toBe("permit_endorsement");
    expect(id("续签居住证")).toBe("permit_endorsement");
  });

  it("questions are left to the catalogue", () => {
    expect(id("居住证怎么续签")).toBeNull();
    expect(id("签注要带什么")).toBeNull();
    expect(id("居住登记在哪里办？")).toBeNull();
    expect(id("我想问一下签注")).toBeNull();
    expect(id("我要办居住证")).toBeNull();
    expect(id("我要申报积分")).toBeNull();
  });

  it("the faq can offer a flow after an answer", () => {
    expect(flowOfferFor(["permit.endorsement"], flows)).toMatchObject({ flowId: "permit_endorsement", choice: "我要签注" });
    expect(flowOfferFor(["education.compulsory"], flows)).toBeNull();
  });
});
