import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { composeAnswer } from "../src/knowledge/answer.ts";
import { endorsementRules, reminderText } from "../src/reminders/wording.ts";
import {
  buildCatalogue,
  type Catalogue,
  CatalogueError,
  defaultKnowledgeDir,
  type Entry,
  loadCatalogue,
  parseEntry,
  partKeys,
} from "../src/knowledge/index.ts";

/** The service catalogue outline: every entry, its title and what residents ask, for example. */
const outline: [id: string, title: string, questions: string[]][] = [
  ["residence.registration", "居住登记申报", ["刚来宁波要去哪里登记？", "租房住需要自己申报吗"]],
  ["residence.deregistration", "搬离注销居住登记", ["我搬走了要不要注销"]],
  ["residence.rental-landlord", "出租房屋登记与房东责任", ["我是房东，租客要怎么报？", "车库能出租住人吗"]],
  ["permit.application", "居住证申领", ["怎么办居住证", "办居住证要带什么材料"]],
  ["permit.endorsement", "居住证签注（续签）", ["居住证到期了怎么续", "签注是什么意思"]],
  ["permit.electronic", "电子居住证", ["有没有电子版居住证"]],
  ["permit.benefits", "居住证能享受的公共服务", ["有居住证有什么用"]],
  ["points.overview", "量化积分制度", ["积分是怎么算的", "企业赋分是什么"]],
  ["points.credit-exchange", "学分换积分", ["读夜校能加积分吗"]],
  ["points.application", "积分申评办理", ["积分在哪里申请", "网上能申评吗"]],
  ["points.hukou", "积分落户", ["积分够了能落户吗"]],
  ["education.compulsory", "随迁子女义务教育", ["孩子在宁波读小学要什么条件"]],
  ["education.preschool", "随迁子女学前教育", ["外地孩子上幼儿园有补贴吗"]],
  ["education.entrance-exam", "随迁子女升学考试", ["孩子能在宁波参加中考吗"]],
  ["employment.services", "就业服务与招聘信息", ["哪里可以找工作"]],
  ["employment.registration", "就业和失业登记", ["失业了要登记吗"]],
  ["employment.entrepreneurship", "创业扶持", ["想开个小店有扶持政策吗"]],
  ["training.vocational", "职业技能培训", ["有免费的电工培训吗"]],
  ["training.adult-education", '成人"双证制"高中教育', ["没读完高中还能拿文凭吗"]],
  ["labor.wage-arrears", "欠薪求助", ["老板拖欠工资怎么办"]],
  ["labor.contract", "劳动合同与工资协商", ["公司不签劳动合同怎么办"]],
  ["legal.aid", "法律援助绿色通道", ["打官司没钱请律师"]],
  ["safety.occupational", "职业安全与职业病防治", ["车间粉尘大会不会得职业病"]],
  ["insurance.enrollment", "社会保险参保", ["外地人能在宁波交社保吗"]],
  ["insurance.transfer", "社保关系转移接续", ["回老家社保能转走吗"]],
  ["insurance.work-injury", "工伤保险", ["工地上受伤了谁赔"]],
  ["insurance.unemployment", "失业保险", ["失业金怎么领"]],
  ["health.records", "健康档案与健康教育", ["能在社区建健康档案吗"]],
  ["health.immunization", "儿童预防接种", ["孩子打疫苗去哪里"]],
  ["health.maternal-child", "孕产妇和儿童保健、计划生育服务", ["怀孕了在宁波能免费产检吗"]],
  ["health.infectious-disease", "传染病防控", ["肺结核能免费治吗"]],
  ["housing.security", "住房保障（公租房）", ["外地人能申请公租房吗"]],
  ["housing.provident-fund", "住房公积金", ["公积金能用来交房租吗"]],
  ["housing.dormitory", "集体宿舍与住房补贴", ["园区有没有宿舍"]],
  ["culture.activities", "公益文化活动与艺术培训", ["周末有什么免费活动"]],
  ["culture.facilities", "公共文化体育设施免费开放", ["体育馆对外地人免费吗"]],
  ["community.volunteering", "志愿服务与工会入会", ["怎么加入工会"]],
  ["community.left-behind-children", '"小候鸟"关爱', ["暑假孩子来宁波没人带"]],
  ["community.counseling", "心理疏导", ["压力太大想找人聊聊"]],
  ["community.ethnic-minorities", "少数民族流动人口服务", ["有没有少数民族服务窗口"]],
  ["community.new-villagers", "新村民议事", ["外地人能参加村里议事吗"]],
  ["community.dispute-mediation", "矛盾纠纷调解", ["跟房东吵架了谁来调解"]],
  ["civility.conduct", "文明行为与垃圾分类", ["垃圾怎么分类"]],
  ["service.online", '网上办事（"最多跑一次"）', ["能不能不跑窗口在网上办"]],
  ["service.certificates", "证明材料精简", ["还要开居住证明吗"]],
];

let catalogue: Catalogue;
const dirs: string[] = [];

beforeAll(async () => {
  catalogue = await loadCatalogue();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A copy of the real catalogue in a temporary folder, for breaking one file. */
function copyCatalogue(): string {
  const dir = mkdtempSync(join(tmpdir(), "knowledge-"));
  dirs.push(dir);
  cpSync(defaultKnowledgeDir, dir, { recursive: true });
  return dir;
}

function edit(dir: string, id: string, change: (text: string) => string): void {
  const file = join(dir, `${id}.md`);
  writeFileSync(file, change(readFileSync(file, "utf8")));
}

async function loadError(dir: string): Promise<CatalogueError> {
  const err = await loadCatalogue(dir, { fresh: true }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(CatalogueError);
  return err as CatalogueError;
}

describe("the catalogue", () => {
  it("has every entry of the outline, with exactly its id and title", () => {
    expect(catalogue.entries.map((e) => e.id).sort()).toEqual(outline.map(([id]) => id).sort());
    for (const [id, title] of outline) expect(catalogue.get(id)?.title).toBe(title);
  });

  it("says for every entry what it rests on and when it was reviewed, and never invents specifics", () => {
    for (const e of catalogue.entries) {
      expect(e.seedItems.length, e.id).toBeGreaterThan(0);
      expect(e.lastReviewed, e.id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(e.nextStep.length, e.id).toBeGreaterThan(0);
      // Specifics the seed does not give stay empty until staff fill them in.
      for (const field of Object.values(e.configurable)) expect(field.value, `${e.id}: ${field.label}`).toBeNull();
    }
  });

  it("structures every entry for what residents ask: a way to act and someone to ask", () => {
    for (const e of catalogue.entries) {
      // Where to go or how to do it online, and whom to ask: every entry has both.
      expect(Boolean(e.parts.where || e.parts.online), `${e.id}: where or online`).toBe(true);
      expect(e.parts.contact, `${e.id}: contact`).toBeDefined();
      const parts = partKeys.filter((k) => e.parts[k]);
      expect(parts.length, e.id).toBeGreaterThanOrEqual(3);
    }
  });

  it("cites national facts that exist, and every hotline an entry names", () => {
    for (const e of catalogue.entries) {
      const texts = [e.summary, ...partKeys.map((k) => e.parts[k]?.text ?? "")].join("\n");
      for (const h of catalogue.hotlines) {
        if (texts.includes(h.number!)) expect(catalogue.fact(h.id), e.id).toBeDefined();
      }
      for (const id of [...e.national, ...partKeys.flatMap((k) => e.parts[k]?.national ?? [])]) {
        expect(catalogue.fact(id), `${e.id}: ${id}`).toBeDefined();
      }
    }
    expect(catalogue.fact("national.permit-regulations.art10")?.title).toBe("《居住证暂行条例》第十条");
    expect(catalogue.fact("hotline.12333")?.title).toBe("12333 人社服务热线");
  });

  it("says the endorsement rules of Art. 10 the way the reminders and the reminder chat say them", () => {
    const endorsement = catalogue.get("permit.endorsement")!;
    for (const text of [endorsement.summary, endorsement.parts.deadline!.text]) {
      expect(text).toContain(endorsementRules.when);
      expect(text).toContain(endorsementRules.late);
      // The reminder stages the entry promises are the ones the reminders send.
      expect(text).toContain(endorsementRules.stages);
    }
    expect(endorsement.summary).toContain(endorsementRules.where);
    expect(endorsement.parts.where!.national).toContain("national.permit-regulations.art10");
    const permit = { holderName: "张三", permitNumber: "NB2025001234", endorseBy: "2026-12-01" };
    expect(reminderText("d30", permit)).toContain(endorsementRules.where);
    expect(reminderText("d1", permit)).toContain(endorsementRules.late);
    expect(reminderText("overdue", permit)).toContain(endorsementRules.late);
  });

  it("rebuilds from validated entries without reading any file (what the knowledge editor will publish)", () => {
    const entries: Entry[] = catalogue.entries.map((e) => ({ ...e, examples: [...e.examples] }));
    const national = [...catalogue.national.values()];
    const endorsement = entries.find((e) => e.id === "permit.endorsement")!;
    endorsement.examples.push("盖章续命那个事怎么弄");
    const rebuilt = buildCatalogue(entries, national);
    const u = rebuilt.understand("盖章续命那个事怎么弄");
    expect(u.kind === "answer" ? u.hits[0]!.id : u.kind).toBe("permit.endorsement");
    expect(() => buildCatalogue(entries, [])).toThrow(CatalogueError);
  });

  it("answers a question asked exactly as an example staff attached, even one that looked off-topic", () => {
    const question = "小区的快递柜坏了找谁修";
    expect(catalogue.understand(question).kind).not.toBe("answer");
    const entries: Entry[] = catalogue.entries.map((e) => ({ ...e, examples: [...e.examples] }));
    entries.find((e) => e.id === "community.new-villagers")!.examples.push(question);
    const rebuilt = buildCatalogue(entries, [...catalogue.national.values()]);
    for (const asked of [question, "小区的快递柜坏了，找谁修？"]) {
      const u = rebuilt.understand(asked);
      expect([asked, u.kind === "answer" ? u.hits[0]!.id : u.kind]).toEqual([asked, "community.new-villagers"]);
    }
  });

  it("answers every question of the outline with the right entry first", () => {
    for (const [id, , questions] of outline) {
      for (const q of questions) {
        const u = catalogue.understand(q);
        expect([q, u.kind === "answer" ? u.hits[0]!.id : u.kind]).toEqual([q, id]);
      }
    }
  });

  it("maps an entry's own title straight to the entry (a chosen option)", () => {
    for (const e of catalogue.entries) {
      const u = catalogue.understand(e.title);
      expect([e.title, u.kind === "answer" ? u.hits[0]!.id : u.kind]).toEqual([e.title, e.id]);
    }
  });

  it("has a README saying how to add an entry", () => {
    const readme = join(defaultKnowledgeDir, "README.md");
    expect(existsSync(readme)).toBe(true);
    expect(readFileSync(readme, "utf8")).toContain("npm run eval");
  });
});

describe("a broken entry stops start-up, naming the file and the field", () => {
  it("a missing field", async () => {
    const dir = copyCatalogue();
    edit(dir, "permit.endorsement", (t) => t.replace(/^nextStep:.*\n/m, ""));
    const err = await loadError(dir);
    expect(err.message).toContain("permit.endorsement.md");
    expect(err.message).toContain('"nextStep"');
  });

  it("a field of the wrong kind", async () => {
    const dir = copyCatalogue();
    edit(dir, "legal.aid", (t) => t.replace(/^seedItems: .*$/m, "seedItems: [forty]"));
    const err = await loadError(dir);
    expect(err.message).toMatch(/legal\.aid\.md: field "seedItems\.0"/);
  });

  it("a related entry that does not exist", async () => {
    const dir = copyCatalogue();
    edit(dir, "points.hukou", (t) => t.replace("  - points.overview\n", "  - points.nowhere\n"));
    const err = await loadError(dir);
    expect(err.message).toMatch(/points\.hukou\.md: field "related\.\d+": no entry has the id "points\.nowhere"/);
  });

  it("an id that does not match the file name", async () => {
    const dir = copyCatalogue();
    edit(dir, "health.records", (t) => t.replace("id: health.records", "id: health.record"));
    const err = await loadError(dir);
    expect(err.message).toMatch(/health\.records\.md: field "id"/);
  });

  it("front matter that is not YAML", async () => {
    const dir = copyCatalogue();
    edit(dir, "civility.conduct", (t) => t.replace("title: 文明行为与垃圾分类", "title: [文明行为"));
    const err = await loadError(dir);
    expect(err.message).toContain("civility.conduct.md");
  });
});

describe("configurable specifics", () => {
  it("are validated by kind: a phone must be a phone, a web address a web address", () => {
    const base = (value: unknown, kind = "phone") => {
      const e = catalogue.get("permit.endorsement")!;
      const data = { ...e, configurable: { ...e.configurable, hotline: { label: "咨询电话", kind, value } } };
      const { body: _b, file: _f, ...front } = data;
      return parseEntry(front, "", "permit.endorsement (test)");
    };
    expect(base("0574-87654321").problems).toEqual([]);
    expect(base("12345").problems).toEqual([]);
    expect(base(null).problems).toEqual([]);
    expect(base("请咨询窗口").problems.join()).toMatch(/configurable\.hotline\.value/);
    expect(base("zwfw.example.cn", "url").problems.join()).toMatch(/网址格式不对，请填写以 http:\/\/ 或 https:\/\/ 开头/);
    expect(base("https://zwfw.example.cn/jzz", "url").problems).toEqual([]);
    expect(base("随时", "hours").problems.join()).toMatch(/办公时间格式不对.*工作日 9:00-17:00/);
    expect(base("x", "colour").problems.join()).toMatch(/configurable\.hotline\.kind/);
  });

  it("a part may only use specifics the entry has", async () => {
    const dir = copyCatalogue();
    edit(dir, "permit.endorsement", (t) => t.replace("uses: [office]", "uses: [office, fax]"));
    const err = await loadError(dir);
    expect(err.message).toMatch(/permit\.endorsement\.md: field "parts\.where\.uses\.1": no configurable field "fax"/);
  });

  it("wording meant for staff in an entry stops start-up", async () => {
    const dir = copyCatalogue();
    edit(dir, "legal.aid", (t) => t.replace("打 12348 问就近的法律援助受理地点。", "受理地点见下方字段。"));
    const err = await loadError(dir);
    expect(err.message).toMatch(/legal\.aid\.md: field "nextStep": "见下方" reads like a note for staff/);
  });

  it("a national fact that does not exist stops start-up", async () => {
    const dir = copyCatalogue();
    edit(dir, "permit.endorsement", (t) =>
      t.replace("national: [national.permit-regulations.art10]", "national: [national.permit-regulations.art99]"),
    );
    const err = await loadError(dir);
    expect(err.message).toMatch(/no national fact has the id "national\.permit-regulations\.art99"/);
  });
});

describe("answers", () => {
  const answer = (id: string, parts: Parameters<typeof composeAnswer>[1]) =>
    composeAnswer(catalogue.get(id)!, parts, { catalogue, related: [] });

  it("show a specific once staff filled it in, under the part that uses it, and never an empty one", async () => {
    const dir = copyCatalogue();
    edit(dir, "permit.endorsement", (t) =>
      t.replace(/(hotline:\n\s+label: 咨询电话\n\s+kind: phone\n\s+value:) null/, "$1 0574-12345678"),
    );
    const filled = await loadCatalogue(dir, { fresh: true });
    const entry = filled.get("permit.endorsement")!;
    const general = composeAnswer(entry, [], { catalogue: filled, related: [] });
    expect(general.text).toContain("咨询电话：0574-12345678");
    expect(general.text).not.toContain("办理地点");
    const contact = composeAnswer(entry, ["contact"], { catalogue: filled, related: [] });
    expect(contact.text).toContain("咨询电话：0574-12345678");
    const where = composeAnswer(entry, ["where"], { catalogue: filled, related: [] });
    expect(where.text).not.toContain("0574-12345678");
  });

  it("lead with the part asked, cite the entry with its review date and the national facts after it", () => {
    const reply = answer("permit.endorsement", ["deadline"]);
    expect(reply.text.startsWith(catalogue.get("permit.endorsement")!.parts.deadline!.text.trim())).toBe(true);
    expect(reply.text).toMatch(/来源：《居住证签注（续签）》（\d{4}年\d{1,2}月\d{1,2}日核对）·《居住证暂行条例》第十条$/);
    expect(reply.sources).toEqual([
      { id: "permit.endorsement", title: "居住证签注（续签）" },
      { id: "national.permit-regulations.art10", title: "《居住证暂行条例》第十条" },
    ]);
  });

  it("give a working next step for a part the entry does not have, citing the hotline it names", () => {
    // 小候鸟 has no `prepare` part: its contact part (or 12345) is what works today.
    const reply = answer("community.left-behind-children", ["prepare"]);
    expect(reply.text).toContain("12345");
    expect(reply.sources?.map((s) => s.id)).toContain("hotline.12345");
  });

  it("answer two parts at once, each under its heading", () => {
    const reply = answer("insurance.unemployment", ["cost", "duration"]);
    expect(reply.text).toContain("【费用】");
    expect(reply.text).toContain("【要多久】");
  });
});
