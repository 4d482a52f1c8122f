// Run a generated apply-rollback.js against a recording stand-in for mongosh's `db`,
// printing the calls it made as JSON (syntax and logic of the script, no server).
"use strict";

const fs = require("fs");
const vm = require("vm");

const calls = [];
function collection(database, name) {
  return {
    aggregate: (pipeline) => calls.push({ op: "aggregate", database, name, pipeline }),
    countDocuments: () => 0,
    deleteMany: (filter) => {
      calls.push({ op: "deleteMany", database, name, ids: filter._id.$in });
      return { deletedCount: filter._id.$in.length };
    },
  };
}
function database(name, present) {
  return {
    getSiblingDB: (other) => database(other, present),
    getCollectionNames: () => present,
    getCollection: (coll) => collection(name, coll),
    dropDatabase: () => calls.push({ op: "dropDatabase", database: name }),
  };
}

const [script, present] = process.argv.slice(2);
const context = {
  db: database("scribe", JSON.parse(present)),
  print: () => {},
  ObjectId: (id) => `ObjectId(${id})`,
};
vm.runInNewContext(fs.readFileSync(script, "utf8"), context);
process.stdout.write(JSON.stringify(calls));
