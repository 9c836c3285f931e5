// Bundles amazon-chime-sdk-js (CommonJS only) into one ES module for the browser (web/vendor/README.md).
// Run by chime-sdk.sh in a temporary folder holding the pinned packages and the generated entry.js.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import commonjs from '@rollup/plugin-commonjs';
import json from '@rollup/plugin-json';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';

const sdk = JSON.parse(readFileSync('node_modules/amazon-chime-sdk-js/package.json', 'utf8'));

// The licences of every package the bundle holds, beside the bundle (terser drops their comments).
function bundledLicences() {
  return {
    name: 'bundled-licences',
    generateBundle() {
      const packages = new Map();
      for (const id of this.getModuleIds()) {
        const at = id.lastIndexOf('/node_modules/');
        if (at < 0) continue;
        let dir = dirname(id);
        while (dir.length > at + 14) {
          try {
            const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
            if (pkg.name && pkg.version) {
              packages.set(`${pkg.name}@${pkg.version}`, { dir, licence: pkg.license });
              break;
            }
          } catch {
            // not a package root: go up
          }
          dir = dirname(dir);
        }
      }
      const parts = [...packages.keys()].sort().map((name) => {
        const { dir, licence } = packages.get(name);
        const file = readdirSync(dir).sort().find((entry) => /^licen[cs]e(\.(md|txt))?$/i.test(entry));
        const text = file ? readFileSync(join(dir, file), 'utf8').trim() : '';
        return `== ${name} (${licence})\n\n${text || `(no licence file in the package; its package.json says ${licence})`}\n`;
      });
      writeFileSync(
        'out/LICENSE-amazon-chime-sdk-js-bundled',
        `The packages inside amazon-chime-sdk.module.js (amazon-chime-sdk-js ${sdk.version} and its dependencies), ` +
          `with their licences.\n\n${parts.join('\n')}`,
      );
    },
  };
}

export default {
  input: 'entry.js',
  output: {
    file: 'out/amazon-chime-sdk.module.js',
    format: 'es',
    inlineDynamicImports: true,
    banner:
      `/*! amazon-chime-sdk-js ${sdk.version} (Apache-2.0, LICENSE-amazon-chime-sdk-js and NOTICE-amazon-chime-sdk-js), ` +
      `bundled with its dependencies (LICENSE-amazon-chime-sdk-js-bundled) by web/vendor/build/chime-sdk.sh. */`,
  },
  plugins: [
    resolve({ browser: true, preferBuiltins: false }),
    json(),
    commonjs(),
    terser({ format: { comments: /^!/ } }),
    bundledLicences(),
  ],
  onwarn(warning, warn) {
    // The SDK's and protobufjs's own import cycles, and TypeScript helpers' top-level `this`: harmless.
    if (warning.code !== 'CIRCULAR_DEPENDENCY' && warning.code !== 'THIS_IS_UNDEFINED') warn(warning);
  },
};
