/**
 * The function search index: BM25 ranking (MiniSearch) over each function's name (split on `_`), component,
 * description, summary and parameters, with Porter stemming, English stop words, typo tolerance and prefixes,
 * and the reviewed vocabulary of search-vocabulary.yaml (Moodle's words and everyday synonyms). Built once per
 * catalog load; searching never touches the catalog again.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';
import { eng } from 'stopword';
import { parse } from 'yaml';
import type { CatalogFunction } from '../catalog/types.ts';

export const VOCABULARY_PATH = fileURLToPath(new URL('./search-vocabulary.yaml', import.meta.url));

interface Vocabulary {
  synonyms: Record<string, string[]>;
  phrases: Record<string, string>;
  write_words: string[];
  read_words: string[];
  write_first_words?: string[];
}

export interface SearchHit {
  name: string;
  score: number;
}

/** Words too common in function names to tell functions apart, besides English stop words. */
const DOMAIN_STOP = ['moodle', 'please', 'want', 'need', 'like', 'would', 'could', 'give', 'tell', 'let', 'via', 'using', 'use', 'core', 'mod'];
/** Words that only say "look": they tell the intent (read) but not which function. */
const QUERY_ONLY_STOP = new Set(['list', 'show', 'see', 'display', 'view', 'tell', 'fetch', 'know', 'check', 'details', 'detail', 'information', 'info'].map((w) => stemmer(w)));
/** Words that only say "change": "new" asks to create (its synonyms), it names no function. */
const WRITE_ONLY_STOP = new Set(['new']);
/** Weight of a Moodle word that a stop word stands for ("my" → "user"). */
const STOP_SYNONYM_WEIGHT = 0.3;
const SYNONYM_WEIGHT = 0.5;
/** Marks the unstemmed words of function names (`=posts` is not `=post`): singular and plural tell functions apart. */
const EXACT = '=';
const EXACT_WEIGHT = 0.6;

export class FunctionSearchIndex {
  private readonly index: MiniSearch;
  private readonly stop: Set<string>;
  private readonly synonyms = new Map<string, Set<string>>();
  private readonly phrases: [RegExp, string][];
  private readonly writeWords: Set<string>;
  private readonly readWords: Set<string>;
  private readonly writeFirstWords: Set<string>;

  constructor(functions: readonly CatalogFunction[], vocabularyPath = VOCABULARY_PATH) {
    const vocabulary = parse(readFileSync(vocabularyPath, 'utf8')) as Vocabulary;
    this.stop = new Set([...eng, ...DOMAIN_STOP].map((w) => w.toLowerCase()));
    for (const [moodleWord, everyday] of Object.entries(vocabulary.synonyms)) {
      const target = stemmer(moodleWord.toLowerCase());
      for (const word of everyday) {
        const lower = String(word).toLowerCase();
        const stem = this.stop.has(lower) ? lower : stemmer(lower);
        if (stem !== target) this.synonyms.set(stem, new Set([...(this.synonyms.get(stem) ?? []), target]));
      }
    }
    this.phrases = Object.entries(vocabulary.phrases ?? {}).map(([phrase, to]) => [new RegExp(`\\b${phrase.replace(/[-]/g, '\\-')}\\b`, 'g'), to]);
    this.writeWords = new Set(vocabulary.write_words);
    this.readWords = new Set(vocabulary.read_words);
    this.writeFirstWords = new Set(vocabulary.write_first_words ?? []);

    this.index = new MiniSearch({
      idField: 'name',
      fields: ['words', 'exact', 'component', 'description', 'summary', 'parameters'],
      storeFields: ['access', 'deprecated'],
      tokenize: (text) => text.toLowerCase().split(/[^a-z0-9]+/),
      processTerm: (term, field) => (field === 'exact' ? (term ? EXACT + term : null) : this.processTerm(term)),
      searchOptions: { processTerm: (term) => term },
    });
    this.index.addAll(
      functions.map((fn) => ({
        name: fn.name,
        words: fn.name.replace(`${fn.component}_`, ' ').replace(/^core_/, ''),
        exact: fn.name,
        component: fn.component.replace(/^(mod|core|tool|block)_/, ''),
        description: `${fn.description} ${fn.title}`,
        summary: fn.summary ?? '',
        parameters: fn.searchText ?? '',
        access: fn.access,
        deprecated: fn.deprecated,
      })),
    );
  }

  /** Index-side term processing: stop words out, then the Porter stem. */
  private processTerm(term: string): string | null {
    if (!term || this.stop.has(term)) return null;
    return stemmer(term);
  }

  /**
   * The query's stemmed words with their weights (1 for the words themselves, less for synonyms), and whether
   * it asks to change something (`write`) or to look (`read`), when it says so.
   */
  parseQuery(query: string): { terms: Map<string, number>; intent?: 'read' | 'write' } {
    let text = query.toLowerCase();
    for (const [pattern, to] of this.phrases) text = text.replace(pattern, to);
    const terms = new Map<string, number>();
    let writes = false;
    let reads = false;
    let startsWithChange = false;
    const words = text.split(/[^a-z0-9]+/).filter(Boolean);
    words.forEach((word, position) => {
      const stem = stemmer(word);
      // Intent words are matched as written: "post a reply" changes something, "forum posts" does not.
      if (position === 0 && (this.writeFirstWords.has(word) || this.writeWords.has(word))) startsWithChange = true;
      if (this.writeWords.has(word)) writes = true;
      if (this.readWords.has(word) || QUERY_ONLY_STOP.has(stem)) reads = true;
      // A stop word ("my") may still stand for a Moodle word ("user"), at the synonyms' weight.
      const isStop = this.stop.has(word);
      const synonyms = this.synonyms.get(isStop ? word : stem) ?? [];
      for (const synonym of synonyms) if (!terms.has(synonym)) terms.set(synonym, isStop ? STOP_SYNONYM_WEIGHT : SYNONYM_WEIGHT);
      if (!this.processTerm(word) || QUERY_ONLY_STOP.has(stem) || WRITE_ONLY_STOP.has(word)) return;
      terms.set(stem, 1);
      terms.set(EXACT + word, EXACT_WEIGHT);
    });
    // A request that names no change ("glossary entries", "my notifications") asks to look.
    // "submit my assignment": a request that starts with a change asks for it whatever follows.
    if (startsWithChange) return { terms, intent: 'write' };
    return { terms, intent: writes ? (reads ? undefined : 'write') : 'read' };
  }

  /** Functions ranked for `query` among those `accept` lets through, best first. */
  search(query: string, accept: (name: string) => boolean = () => true): SearchHit[] {
    const { terms, intent } = this.parseQuery(query);
    if (terms.size === 0) return [];
    const words = [...terms.keys()];
    return this.index
      .search(words.join(' '), {
        boost: { words: 4, exact: 4, component: 1.5, summary: 1.5, description: 1, parameters: 0.25 },
        fuzzy: (term) => (term.length >= 5 && !term.startsWith(EXACT) ? 0.2 : false),
        prefix: (term) => term.length >= 4 && !term.startsWith(EXACT),
        weights: { fuzzy: 0.3, prefix: 0.15 },
        boostTerm: (term) => terms.get(term) ?? SYNONYM_WEIGHT,
        boostDocument: (id, _term, stored) => {
          let factor = stored?.deprecated ? 0.5 : 1;
          // Core and activity functions are what requests are mostly about; admin tools and plugins come after.
          if (/^(core|mod|gradereport|enrol|message)_/.test(id)) factor *= 1.1;
          if (intent && stored?.access === intent) factor *= 1.5;
          // Asked to look: functions that get, list or search data before those that record a view or prepare a form.
          if (intent === 'read' && /_(get|list|search)_/.test(id)) factor *= 1.2;
          return factor;
        },
        filter: (result) => accept(result.id as string),
      })
      .map((hit) => ({ name: hit.id as string, score: hit.score }));
  }
}
