// Runs SQL statements in one chDB session (ClickHouse in-process, from the
// npm package chdb) and prints what each returned, for internal/testchdb.
//
// Usage: node chdbsql.js MODULE_DIR < {"path": DIR, "statements": [SQL, ...]}
// MODULE_DIR is the npm prefix chdb is installed in. Prints one JSON
// object: {"results": [{"output": TEXT} | {"error": TEXT}, ...]}. SELECT
// output is JSONEachRow. Every statement runs, also after an error, so one
// run reports every failure. Exits 0 unless the engine itself fails.
"use strict";
const path = require("path");
const { createRequire } = require("module");

const moduleDir = process.argv[2];
if (!moduleDir) {
  process.stderr.write("usage: node chdbsql.js MODULE_DIR < request.json\n");
  process.exit(2);
}
const { Session } = createRequire(path.join(path.resolve(moduleDir), "noop.js"))("chdb");

const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", () => {
  const req = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const session = new Session(req.path);
  const results = [];
  try {
    for (const sql of req.statements) {
      try {
        results.push({ output: session.query(sql, "JSONEachRow") });
      } catch (e) {
        results.push({ error: String((e && e.message) || e) });
      }
    }
  } finally {
    session.close();
  }
  process.stdout.write(JSON.stringify({ results }) + "\n");
});
