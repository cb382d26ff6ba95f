// Prints, as one JSON array, every exported string of the ES modules named on the command line
// that Node can load without a browser: the documents exactly as the pages hold them.
import { pathToFileURL } from "node:url";

const found = [];
for (const file of process.argv.slice(2)) {
  let module;
  try {
    module = await import(pathToFileURL(file).href);
  } catch {
    continue; // a module that needs the DOM to load holds no documents of its own
  }
  for (const [name, value] of Object.entries(module)) {
    if (typeof value === "string") found.push({ file, name, value });
  }
}
process.stdout.write(JSON.stringify(found));
