import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { localeFromAcceptLanguage } from '../../runtime/i18n/locales.ts';
import { LANG_COOKIE, pageLocale } from '../../runtime/i18n/page-locale.ts';
import { SiteDirectory } from '../../runtime/moodle/site-identity.ts';

describe('page language', () => {
  it('follows Accept-Language with q-values, regional variants and fallbacks', () => {
    assert.equal(localeFromAcceptLanguage('pt-BR,pt;q=0.9,en;q=0.8'), 'pt-BR');
    assert.equal(localeFromAcceptLanguage('pt-PT'), 'pt-BR', 'the only Portuguese we have');
    assert.equal(localeFromAcceptLanguage('es-MX,es;q=0.9'), 'es');
    assert.equal(localeFromAcceptLanguage('de-CH'), 'de');
    assert.equal(localeFromAcceptLanguage('en;q=0.2, fr;q=0.9'), 'fr', 'the highest q wins, not the first');
    assert.equal(localeFromAcceptLanguage('zh-CN, fr;q=0.5'), 'fr', 'an unsupported first choice falls to the next');
    assert.equal(localeFromAcceptLanguage('ja'), 'en');
    assert.equal(localeFromAcceptLanguage('fr;q=0, de'), 'de', 'q=0 means not acceptable');
    assert.equal(localeFromAcceptLanguage('*'), 'en');
    assert.equal(localeFromAcceptLanguage('!!, @@'), 'en', 'garbage is ignored');
    assert.equal(localeFromAcceptLanguage(undefined), 'en');
  });

  it('the switcher (?lang=) wins and is remembered in a cookie; then the cookie; then the header', () => {
    const switched = pageLocale(new Request('http://x/connections?lang=es', { headers: { 'accept-language': 'de' } }), true);
    assert.equal(switched.locale, 'es');
    assert.equal(switched.setCookie, `${LANG_COOKIE}=es; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000; Secure`);
    const kept = pageLocale(new Request('http://x/connections', { headers: { cookie: `a=b; ${LANG_COOKIE}=fr`, 'accept-language': 'de' } }), false);
    assert.deepEqual(kept, { locale: 'fr' });
    assert.deepEqual(pageLocale(new Request('http://x/?lang=xx', { headers: { cookie: `${LANG_COOKIE}=evil;`, 'accept-language': 'de' } }), false), { locale: 'de' }, 'unknown values are ignored');
  });
});

describe('site identity', () => {
  it('is learnt from site info, reported when it changes, and restored from the store', () => {
    const seen: string[] = [];
    const site = new SiteDirectory({ name: 'Moodle', url: 'https://moodle.example.edu' });
    assert.equal(site.current?.name, 'Moodle');
    assert.equal(site.learnt, false);
    site.onChange = (s) => seen.push(s.name);
    const info = { sitename: 'Northbridge', siteurl: 'https://moodle.example.edu', release: '4.5.6 (Build: 20250811)', lang: 'pt_br' };
    site.remember(info);
    site.remember(info);
    assert.deepEqual(seen, ['Northbridge'], 'reported once per change');
    assert.equal(site.current?.release, '4.5.6 (Build: 20250811)');
    const restored = new SiteDirectory();
    restored.restore(JSON.parse(JSON.stringify(site.current)));
    assert.equal(restored.current?.name, 'Northbridge');
    restored.restore({ name: 1 });
    assert.equal(restored.current?.name, 'Northbridge', 'a malformed saved value changes nothing');
  });
});
