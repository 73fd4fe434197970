// Runs static/search.js's ranking over index files on disk: node rank_parity.cjs DIR HEAD QUERIES_JSON
// Prints, per query, {total, positions}, loading word chunks the way the page does.
const fs = require('node:fs');
const path = require('node:path');
const s = require(path.resolve(__dirname, '../../static/search.js'));

const [dir, headName, queriesJson] = process.argv.slice(2);
const read = (name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
const head = s.prepare(read(headName));
const out = {};
for (const query of JSON.parse(queriesJson)) {
  const described = {};
  const files = new Set();
  for (const w of s.describedWords(head, s.normalize(query))) {
    const idx = s.chunksFor(head, w);
    idx.forEach((i) => files.add(head.words.files[i]));
    described[w] = s.postings(idx.map((i) => read(head.words.files[i])), w);
  }
  const found = s.rank(head, query, described);
  out[query] = { total: found.total, positions: found.positions, word_files: [...files].sort() };
}
process.stdout.write(JSON.stringify(out));
