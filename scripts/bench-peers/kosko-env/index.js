'use strict';
// The variables of an environment, the way Kosko components read them: `env.global()` merges the
// global file of each environment in `env.env` (a base environment first, then the selected one),
// `env.component(name)` merges the component's file over that. Files are modules whose default
// export is an object; a missing file is an empty object. Objects merge deeply; arrays and scalars
// are replaced, so an env that lists hosts lists all of them.
const { join } = require('node:path');

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(target, source) {
  const out = { ...target };
  for (const [key, value] of Object.entries(source)) {
    out[key] = isObject(value) && isObject(out[key]) ? merge(out[key], value) : value;
  }
  return out;
}

class Environment {
  constructor(cwd) {
    this.cwd = cwd;
    this.env = undefined;
    this.paths = { global: 'environments/#{environment}', component: 'environments/#{environment}/#{component}' };
    this.extensions = Object.keys(require.extensions).map((ext) => ext.slice(1));
    this.reducers = [];
  }

  /** The names in `env.env`, base first. */
  names() {
    if (this.env === undefined) return [];
    return Array.isArray(this.env) ? this.env : [this.env];
  }

  /** The default export of the module at `pattern` for one environment, or {} when there is none. */
  load(pattern, environment, component) {
    const base = join(this.cwd, pattern.replace(/#\{environment\}/g, environment).replace(/#\{component\}/g, component ?? ''));
    let file;
    try {
      file = require.resolve(base);
    } catch (err) {
      if (err && err.code === 'MODULE_NOT_FOUND') return {};
      throw err;
    }
    const mod = require(file);
    return (mod && mod.__esModule ? mod.default : mod) ?? {};
  }

  reduce(target, component) {
    return this.reducers.reduce((acc, r) => r.reduce(acc, component), target);
  }

  global() {
    const vars = this.names().reduce((acc, e) => merge(acc, this.load(this.paths.global, e)), {});
    return this.reduce(vars);
  }

  component(name) {
    const vars = this.names().reduce((acc, e) => merge(merge(acc, this.load(this.paths.global, e)), this.load(this.paths.component, e, name)), {});
    return this.reduce(vars, name);
  }

  setReducers(update) {
    this.reducers = update(this.reducers);
  }

  resetReducers() {
    this.reducers = [];
  }
}

const env = new Environment(process.cwd());
module.exports = env;
module.exports.default = env;
