import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { dayOf, isoDate, localDay, parseDate } from "../src/flows/dates.ts";
import {
  checkAddress,
  checkChineseName,
  checkDate,
  checkDistrict,
  checkIdNumber,
  checkPermitOrId,
  checkPhone,
  checkYesNo,
  idCheckCharacter,
} from "../src/flows/validators.ts";
import { decryptSecret, encryptSecret, hashIdNumber, maskIdNumber, maskPhone } from "../src/lib/crypto.ts";

// Saturday 28 November 2026, 10:00 in Ningbo.
const NOW = new Date("2026-11-28T10:00:00+08:00").getTime();
const ctx = { now: NOW, timeZone: "Asia/Shanghai" };
const today = localDay(NOW, "Asia/Shanghai");
const iso = (text: string, preferPast = true) => {
  const r = parseDate(text, today, preferPast);
  return r.ok ? isoDate(r.day) : r.error;
};

describe("dates relative to the turn's now, in the configured time zone", () => {
  it("reads the formats residents type", () => {
    expect(iso("2026-11-20")).toBe("2026-11-20");
    expect(iso("2026/11/20")).toBe("2026-11-20");
    expect(iso("2026.11.20")).toBe("2026-11-20");
    expect(iso("2026年11月20日")).toBe("2026-11-20");
    expect(iso("20261120")).toBe("2026-11-20");
    expect(iso("11月20日")).toBe("2026-11-20");
    expect(iso("11月20号")).toBe("2026-11-20");
    expect(iso("十一月二十日")).toBe("2026-11-20");
    expect(iso("今天")).toBe("2026-11-28");
    expect(iso("昨天")).toBe("2026-11-27");
    expect(iso("前天")).toBe("2026-11-26");
    expect(iso("大前天")).toBe("2026-11-25");
    expect(iso("3天前")).toBe("2026-11-25");
    expect(iso("三天前")).toBe("2026-11-25");
    expect(iso("两周前")).toBe("2026-11-14");
  });

  it("counts weeks from Monday", () => {
    expect(iso("上周五")).toBe("2026-11-20");
    expect(iso("上星期一")).toBe("2026-11-16");
    expect(iso("上周日")).toBe("2026-11-22");
    expect(iso("这周一")).toBe("2026-11-23");
    expect(iso("上上周三")).toBe("2026-11-11");
    // A bare weekday is the latest one not after today.
    expect(iso("周五")).toBe("2026-11-27");
    expect(iso("周六")).toBe("2026-11-28");
    expect(iso("周日")).toBe("2026-11-22");
  });

  it("puts a date without a year in the past when asked to", () => {
    expect(iso("12月25日")).toBe("2025-12-25");
    expect(iso("12月25日", false)).toBe("2026-12-25");
    expect(iso("15号")).toBe("2026-11-15");
    expect(iso("30号")).toBe("2026-10-30");
  });

  it("rejects impossible dates and says when it did not understand", () => {
    expect(iso("2026-02-30")).toBe("invalid");
    expect(iso("2月29日")).toBe("invalid");
    expect(iso("下个月")).toBe("unrecognised");
    // Names an object has of itself are not relative dates ("今天", "昨天" are).
    for (const word of ["constructor", "toString", "__proto__"]) expect(iso(word)).toBe("unrecognised");
    expect(dayOf(2024, 2, 29)).not.toBeNull();
  });

  it("uses the local date, not UTC: 01:00 in Ningbo is still the previous day in UTC", () => {
    const early = new Date("2026-11-28T01:00:00+08:00").getTime();
    expect(isoDate(localDay(early, "Asia/Shanghai"))).toBe("2026-11-28");
    expect(isoDate(localDay(early, "UTC"))).toBe("2026-11-27");
  });

  it("bounds a move-in date: not in the future, not more than a year ago", () => {
    const bounds = { notFuture: true, maxPastYears: 1 };
    expect(checkDate("2026-11-29", bounds, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("不能晚于今天") });
    expect(checkDate("2025-11-27", bounds, ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("超过一年") });
    expect(checkDate("2025-11-28", bounds, ctx)).toEqual({ ok: true, value: "2025-11-28" });
    expect(checkDate("今天", bounds, ctx)).toEqual({ ok: true, value: "2026-11-28" });
  });
});

describe("ID numbers (GB 11643)", () => {
  it("computes the check character", () => {
    expect(idCheckCharacter("11010519491231002")).toBe("X");
    expect(idCheckCharacter("33020319900101123")).toBe("6");
  });

  it("accepts a valid number and keeps only the masked form as the value", () => {
    const r = checkIdNumber("330203199001011236", ctx);
    expect(r).toEqual({ ok: true, value: "330203********1236", secret: "330203199001011236" });
    expect(checkIdNumber("身份证号：11010519491231002x", ctx)).toMatchObject({ ok: true, secret: "11010519491231002X" });
  });

  it("says what is wrong", () => {
    expect(checkIdNumber("330203199001011234", ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("校验位") });
    expect(checkIdNumber("330203199002301235", ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("出生日期") });
    expect(checkIdNumber("33020320270101001X", ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("晚于今天") });
    expect(checkIdNumber("330203189001011236", ctx)).toMatchObject({ ok: false });
    expect(checkIdNumber("3302031990010112", ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("16位") });
    expect(checkIdNumber("330203900101123", ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("15位") });
    expect(checkIdNumber("990203199001011236", ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("地区码") });
  });

  it("tells a permit number from an ID number", () => {
    expect(checkPermitOrId("330203199001011236", ctx)).toMatchObject({ ok: true, value: "330203********1236" });
    expect(checkPermitOrId("nb 2025-001234", ctx)).toEqual({
      ok: true,
      value: "NB2025001234",
      data: { permitNumber: "NB2025001234" },
    });
    expect(checkPermitOrId("12345", ctx)).toMatchObject({ ok: false });
    // An ID-shaped number with a bad check digit is a mistyped ID, not a permit number.
    expect(checkPermitOrId("330203199001011234", ctx)).toMatchObject({ ok: false, reason: expect.stringContaining("校验位") });
  });
});

describe("names, phones, districts, addresses, yes/no", () => {
  it("checks Chinese names", () => {
    expect(checkChineseName("张三")).toEqual({ ok: true, value: "张三" });
    expect(checkChineseName("我叫 李四。")).toEqual({ ok: true, value: "李四" });
    expect(checkChineseName("阿卜杜拉•买买提")).toEqual({ ok: true, value: "阿卜杜拉·买买提" });
    expect(checkChineseName("张3").ok).toBe(false);
    expect(checkChineseName("Tom").ok).toBe(false);
    expect(checkChineseName("张").ok).toBe(false);
  });

  it("checks mainland mobile numbers (and landlines where allowed)", () => {
    expect(checkPhone("138 1234 5678", false)).toEqual({ ok: true, value: "13812345678" });
    expect(checkPhone("+86 138-1234-5678", false)).toEqual({ ok: true, value: "13812345678" });
    expect(checkPhone("1381234567", false)).toMatchObject({ ok: false, reason: expect.stringContaining("10位") });
    expect(checkPhone("12812345678", false).ok).toBe(false);
    expect(checkPhone("0574-87654321", false).ok).toBe(false);
    expect(checkPhone("0574-87654321", true)).toEqual({ ok: true, value: "0574-87654321" });
  });

  it("knows Ningbo's ten districts, with or without the suffix", () => {
    expect(checkDistrict("鄞州")).toEqual({ ok: true, value: "鄞州区" });
    expect(checkDistrict("海曙区")).toEqual({ ok: true, value: "海曙区" });
    expect(checkDistrict("我住在宁海")).toEqual({ ok: true, value: "宁海县" });
    expect(checkDistrict("余姚")).toEqual({ ok: true, value: "余姚市" });
    expect(checkDistrict("杭州西湖区").ok).toBe(false);
    expect(checkDistrict("海曙或者江北").ok).toBe(false);
  });

  it("wants a detailed address", () => {
    expect(checkAddress("首南街道 天童南路88号", 6).ok).toBe(true);
    expect(checkAddress("天童路", 6).ok).toBe(false);
    expect(checkAddress("1234567890", 6).ok).toBe(false);
  });

  it("reads yes and no the way people say them", () => {
    expect(checkYesNo("没变", "是", "否")).toEqual({ ok: true, value: "是" });
    expect(checkYesNo("一样的", "是", "否")).toEqual({ ok: true, value: "是" });
    expect(checkYesNo("不一样，搬了", "是", "否")).toEqual({ ok: true, value: "否" });
    expect(checkYesNo("否", "是", "否")).toEqual({ ok: true, value: "否" });
    expect(checkYesNo("不知道", "是", "否").ok).toBe(false);
  });
});

describe("personal data helpers", () => {
  const key = randomBytes(32);
  it("encrypts with AES-256-GCM: round trip, fresh IV, tamper and wrong key detected", () => {
    const a = encryptSecret(key, "330203199001011236");
    const b = encryptSecret(key, "330203199001011236");
    expect(a).not.toBe(b);
    expect(a).not.toContain("330203");
    expect(decryptSecret(key, a)).toBe("330203199001011236");
    expect(() => decryptSecret(randomBytes(32), a)).toThrow();
    // One character of the ciphertext changed (not the last: its low bits may be padding).
    const at = a.length - 2;
    const tampered = `${a.slice(0, at)}${a[at] === "A" ? "B" : "A"}${a.slice(at + 1)}`;
    expect(tampered).not.toBe(a);
    expect(() => decryptSecret(key, tampered)).toThrow();
  });

  it("hashes with a key, case-insensitively for the X", () => {
    const hashKey = randomBytes(32);
    expect(hashIdNumber(hashKey, "11010519491231002x")).toBe(hashIdNumber(hashKey, "11010519491231002X"));
    expect(hashIdNumber(hashKey, "11010519491231002X")).not.toBe(hashIdNumber(randomBytes(32), "11010519491231002X"));
  });

  it("masks", () => {
    expect(maskIdNumber("330203199001011234")).toBe("330203********1234");
    expect(maskPhone("13812345678")).toBe("138****5678");
    expect(maskPhone("0574-87654321")).toBe("0574****4321");
  });
});
