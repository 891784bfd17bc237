import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ROUTER_SUPPORTED_SUPERGRAPH_FEATURES, Supergraph } from '@apollo/federation-internals';
import { composedFiles, composeRepo, REPO_ROOT } from '../router/src/repo-composition';

describe('the committed supergraph', () => {
  const composed = composeRepo();

  it('composes without hints nobody accepted', () => {
    expect(composed.unacceptedHints).toEqual([]);
  });

  it.each(Object.entries(composedFiles(composed)).map(([path, content]) => [relative(REPO_ROOT, path), path, content]))(
    '%s is current (run `npm run compose`)',
    (_name, path, content) => {
      expect(readFileSync(path, 'utf8')).toBe(content);
    },
  );

  it('is a standard supergraph: Apollo Router supports every feature it links, the access directives included', () => {
    expect(composed.supergraphSdl).toContain('@link(url: "https://specs.apollo.dev/policy/v0.1", for: SECURITY)');
    expect(() =>
      Supergraph.build(composed.supergraphSdl, { supportedFeatures: ROUTER_SUPPORTED_SUPERGRAPH_FEATURES }),
    ).not.toThrow();
  });

  it('describes every type and field of the API schema', () => {
    const undocumented: string[] = [];
    for (const type of Object.values(composed.apiSchema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      if (!type.description) undocumented.push(type.name);
      if ('getFields' in type) {
        for (const field of Object.values(type.getFields())) {
          if (!field.description) undocumented.push(`${type.name}.${field.name}`);
          for (const arg of 'args' in field ? field.args : []) {
            if (!arg.description) undocumented.push(`${type.name}.${field.name}(${arg.name})`);
          }
        }
      }
      if ('getValues' in type) {
        for (const value of type.getValues()) if (!value.description) undocumented.push(`${type.name}.${value.name}`);
      }
    }
    expect(undocumented).toEqual([]);
  });
});
