import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AuditRecord } from '../../runtime/audit/types.ts';
import { LOCALES, localeFromMoodleLang } from '../../runtime/i18n/locales.ts';
import { reasonKey, translateReason, translateRefusal } from '../../runtime/i18n/reasons.ts';
import { toolCallAudit } from '../../runtime/mcp/audit-record.ts';
import type { CallContext } from '../../runtime/mcp/context.ts';
import { ToolError } from '../../runtime/mcp/errors.ts';

const POLICIES = new URL('../../policies/', import.meta.url).pathname;

/** Every reason string in the shared decision table (policies/cases/decisions.json). */
function tableReasons(): string[] {
  const found = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k === 'reasons' && Array.isArray(x)) x.filter((r) => typeof r === 'string').forEach((r) => found.add(r));
        else walk(x);
      }
  };
  walk(JSON.parse(readFileSync(join(POLICIES, 'cases/decisions.json'), 'utf8')));
  return [...found];
}

/**
 * Every reason the Rego can emit, as a sample: `reasons contains "literal"` rules as they are, and each
 * `concat("", [...])` of a reasons rule with its string parts kept and every other part replaced by a sample value.
 */
function regoReasons(): string[] {
  const samples: string[] = [];
  const files = readdirSync(POLICIES).filter((f) => f.endsWith('.rego') && !f.endsWith('_test.rego'));
  for (const f of files) {
    const rego = readFileSync(join(POLICIES, f), 'utf8');
    for (const m of rego.matchAll(/^\w*reasons contains "((?:[^"\\]|\\.)*)"/gm)) samples.push(JSON.parse(`"${m[1]}"`));
    for (const m of rego.matchAll(/^\w*reasons contains concat\("", \[(.*)\]\)/gm))
      samples.push(
        m[1]
          .split(/,\s*(?=(?:[^"]*"[^"]*")*[^"]*$)/)
          .map((part) => (/^\s*"/.test(part) ? JSON.parse(part.trim()) : 'sample_1'))
          .join(''),
      );
    assert.ok(samples.length > 0, `${f}: no reasons found (has the Rego changed shape?)`);
  }
  return samples;
}

describe('policy reasons in five languages', () => {
  it('every reason of the decision table maps to a catalog key', () => {
    const reasons = tableReasons();
    assert.ok(reasons.length >= 30, `only ${reasons.length} reasons found`);
    for (const r of reasons) assert.ok(reasonKey(r), `no template for the policy reason: ${r}`);
  });

  it('every reason template of the .rego files (literal or concat) maps to a catalog key', () => {
    const samples = regoReasons();
    assert.ok(samples.length >= 20, `only ${samples.length} templates found`);
    for (const r of samples) assert.ok(reasonKey(r), `no template for the Rego reason: ${r}`);
  });

  it('translates with the values kept, in every language', () => {
    const reason = "function core_user_delete_users is denied by pattern 'core_user_delete_*'";
    assert.equal(translateReason(reason, 'en'), reason);
    assert.equal(translateReason(reason, 'pt-BR'), "a função core_user_delete_users é recusada pelo padrão 'core_user_delete_*'");
    assert.equal(translateReason(reason, 'de'), "die Funktion core_user_delete_users ist durch das Muster 'core_user_delete_*' gesperrt");
    for (const locale of LOCALES.filter((l) => l !== 'en')) {
      for (const r of tableReasons()) {
        const t = translateReason(r, locale);
        assert.notEqual(t, r, `${locale}: not translated: ${r}`);
      }
    }
    assert.equal(translateReason('rate limit reached: 10 calls per minute for this connection', 'es'), 'límite de frecuencia alcanzado: 10 llamadas por minuto para esta conexión');
  });

  it('a course reference refused without the resolver, and a withheld answer, in another language', () => {
    const reason = 'forum_discussion ids can be checked only when the local_moodlemcp resolver is enabled on the Moodle site (course restriction)';
    assert.equal(translateReason(reason, 'fr'), 'les identifiants forum_discussion ne peuvent être vérifiés que si le résolveur local_moodlemcp est activé sur le site Moodle (restriction de cours)');
    assert.equal(translateRefusal("The gateway's policy withheld the answer of mod_forum_get_discussion_posts.", 'es'), 'La política de la pasarela retuvo la respuesta de mod_forum_get_discussion_posts.');
  });

  it('an unknown reason falls back to English', () => {
    assert.equal(translateReason('a reason the policy added later', 'fr'), 'a reason the policy added later');
    assert.equal(translateRefusal('Something else.', 'fr'), 'Something else.');
  });

  it("Moodle's language codes map to the five languages (pt_br, de_du, es_mx...); others to English", () => {
    assert.deepEqual(['pt_br', 'pt', 'es_mx', 'es', 'fr_ca', 'de_du', 'de', 'en_us', 'ja', '', undefined].map((l) => localeFromMoodleLang(l)), ['pt-BR', 'pt-BR', 'es', 'es', 'fr', 'de', 'de', 'en', 'en', 'en', 'en']);
  });

  it('an AI client gets a refusal in its Moodle language; the audit record stays in English', () => {
    const records: AuditRecord[] = [];
    const ctx: CallContext = {
      connection: { id: 'key_1', authMethod: 'apikey', profile: 'default', scopes: ['api.read'], moodleToken: 'x'.repeat(32), moodleUser: { id: 6, username: 'emma', isSiteAdmin: false, lang: 'pt_br' } },
      clientIp: '127.0.0.1',
      requestId: 'r1',
    };
    const reasons = ['the gateway is read-only: write functions are disabled', "function core_user_delete_users is not allowed by any pattern of profile 'default'"];
    const audit = toolCallAudit({ audit: (r) => records.push(r), now: () => 0, policyVersion: () => 'v1' }, ctx, 'core_user_delete_users', 0);
    const result = audit.fail(new ToolError('denied', "The gateway's policy refused core_user_delete_users.", 403, { reasons }));
    const text = (result.content[0] as { text: string }).text;
    assert.match(text, /^denied: A política do gateway recusou core_user_delete_users\./);
    assert.match(text, /- o gateway é somente leitura: as funções de escrita estão desativadas/);
    assert.match(text, /- a função core_user_delete_users não é permitida por nenhum padrão do perfil 'default'/);
    assert.deepEqual(records[0].reasons, reasons, 'audit reasons stay in English');
  });
});
