'use strict';
// Usage: node parse.js <file.bicep>...
// Prints one JSON document: [{ file, errors: [{line, column, text}], tree }], where tree is the syntax tree with
// named nodes only: { type, text (leaves only), children }.
const fs = require('fs');
const Parser = require('tree-sitter');
const Bicep = require('tree-sitter-bicep');

const parser = new Parser();
parser.setLanguage(Bicep);

function toJson(node) {
  const children = node.namedChildren.map(toJson);
  const result = { type: node.type, line: node.startPosition.row + 1 };
  if (children.length === 0) result.text = node.text;
  else result.children = children;
  return result;
}

function errors(node, found) {
  if (node.type === 'ERROR' || node.isMissing) {
    found.push({ line: node.startPosition.row + 1, column: node.startPosition.column + 1, text: node.text.slice(0, 80) });
  }
  for (const child of node.children) errors(child, found);
  return found;
}

const out = process.argv.slice(2).map((file) => {
  const tree = parser.parse(fs.readFileSync(file, 'utf8'));
  return { file, errors: errors(tree.rootNode, []), tree: toJson(tree.rootNode) };
});
process.stdout.write(JSON.stringify(out));
