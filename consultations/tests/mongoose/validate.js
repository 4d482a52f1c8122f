// Validate every document of a mongodump-style directory with the Node.js Mongoose models.
//
//   node validate.js DIR/<database> [--base BASE/<database>]
//
// For each <collection>.bson: validateSync() on `new Model(doc)` (required paths, enums,
// casts), plus two checks Mongoose does silently on save: a field that is not a schema
// path (strict mode would drop it) and a value the schema would change when cast (trim,
// lowercase, a string where a date belongs). With --base, a users/prompts document whose
// _id is in the base is checked as the merge the rollback applies ({...base, ...doc}).
// Prints one JSON object: {collection: {checked, failures: [{_id, problems}]}}.
"use strict";

const fs = require("fs");
const path = require("path");
const mongoose = require("mongoose");
const { define } = require("./schemas");

const { BSON } = mongoose.mongo;
const MERGED = new Set(["users", "prompts"]);

function readDump(file) {
  const docs = [];
  if (!fs.existsSync(file)) return docs;
  const data = fs.readFileSync(file);
  let offset = 0;
  while (offset < data.length) {
    const size = data.readInt32LE(offset);
    docs.push(BSON.deserialize(data.subarray(offset, offset + size)));
    offset += size;
  }
  return docs;
}

function same(raw, cast) {
  if (raw === cast) return true;
  if (raw instanceof Date && cast instanceof Date) return raw.getTime() === cast.getTime();
  if (raw && cast && raw._bsontype === "ObjectId" && cast._bsontype === "ObjectId") return raw.equals(cast);
  if (Array.isArray(raw) && cast && typeof cast.length === "number") {
    return raw.length === cast.length && raw.every((item, i) => same(item, cast[i]));
  }
  if (raw && typeof raw === "object" && cast && typeof cast === "object") {
    return JSON.stringify(raw) === JSON.stringify(cast);
  }
  return false;
}

function problemsOf(Model, raw) {
  const problems = [];
  const doc = new Model(raw);
  const error = doc.validateSync();
  if (error) {
    for (const [where, e] of Object.entries(error.errors)) problems.push(`invalid ${where}: ${e.kind}`);
  }
  for (const key of Object.keys(raw)) {
    if (key === "_id") continue;
    if (!Model.schema.path(key)) {
      problems.push(`not in the schema: ${key}`);
      continue;
    }
    if (!same(raw[key], doc.get(key, null, { getters: false }))) problems.push(`changed when cast: ${key}`);
  }
  return problems;
}

function main() {
  const args = process.argv.slice(2);
  const dir = args[0];
  const baseAt = args.indexOf("--base");
  const baseDir = baseAt >= 0 ? args[baseAt + 1] : null;
  const models = define(new mongoose.Mongoose());
  const result = {};
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith(".bson")).sort()) {
    const collection = name.slice(0, -".bson".length);
    const Model = models[collection];
    const entry = { checked: 0, failures: [] };
    result[collection] = entry;
    if (!Model) {
      entry.failures.push({ _id: null, problems: [`no Node.js model for ${collection}`] });
      continue;
    }
    const base = new Map();
    if (baseDir && MERGED.has(collection)) {
      for (const doc of readDump(path.join(baseDir, name))) base.set(String(doc._id), doc);
    }
    for (const raw of readDump(path.join(dir, name))) {
      entry.checked += 1;
      const before = base.get(String(raw._id));
      const problems = problemsOf(Model, before ? { ...before, ...raw } : raw);
      if (problems.length) entry.failures.push({ _id: String(raw._id), problems });
    }
  }
  process.stdout.write(JSON.stringify(result));
}

main();
