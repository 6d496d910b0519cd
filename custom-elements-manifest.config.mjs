// Generates custom-elements.json from the JSDoc in src/ (`npm run analyze`).

/**
 * `@descendantattr name - description` on the element class: attributes the element reads on its
 * descendants (the declarative layer). The manifest format has a place only for the element's own
 * attributes, so they go in a field of this project, `descendantAttributes`, which tools that do not
 * know it ignore and scripts/editor-data.mjs turns into editor hints.
 */
function descendantAttributes() {
  return {
    name: 'descendant-attributes',
    analyzePhase({ ts, node, moduleDoc }) {
      if (node.kind !== ts.SyntaxKind.ClassDeclaration) return;
      const declaration = moduleDoc.declarations?.find((d) => d.name === node.name?.getText());
      const tags = ts.getJSDocTags(node).filter((tag) => tag.tagName.getText() === 'descendantattr');
      if (!declaration || tags.length === 0) return;
      declaration.descendantAttributes = tags.map((tag) => {
        const text = (ts.getTextOfJSDocComment(tag.comment) ?? '').trim();
        const [, name, description] = /^(\S+)\s+-\s+([\s\S]*)$/.exec(text) ?? [];
        if (!name) throw new Error(`@descendantattr needs "name - description": ${text}`);
        return { name, description: description.replace(/\s+/g, ' ') };
      });
    },
  };
}

/** Modules in path order: the analyzer lists them in the order its glob finds them, which can vary with folders. */
function sortedModules() {
  return {
    name: 'sorted-modules',
    packageLinkPhase({ customElementsManifest }) {
      customElementsManifest.modules.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    },
  };
}

export default {
  globs: ['src/**/*.ts'],
  // The manifest describes the element. src/server/ is the Node half; src/protocol/ holds the wire
  // rules both halves share, none of them part of the element's own API.
  exclude: ['src/**/*.test.ts', 'src/server/**', 'src/protocol/**'],
  outdir: '.',
  litelement: true,
  // package.json already names the manifest; a freshness check writing elsewhere must not rewrite it.
  packagejson: false,
  plugins: [descendantAttributes(), sortedModules()],
};
