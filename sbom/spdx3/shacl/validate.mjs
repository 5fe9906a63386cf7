// Validates an SPDX 3.0.1 JSON-LD document against the SPDX SHACL model,
// offline: the SPDX context is served from a local file, never fetched.
//
//   node validate.mjs --shapes spdx-model.ttl --context spdx-context.jsonld doc.json
//
// The model is loaded as the shapes graph and also added to the data graph,
// so that sh:class finds subclasses (SoftwareAgent is an Agent) and the
// named individuals of vocabularies (HashAlgorithm/sha256, …).
// Exit status: 0 conforms, 1 violations (the report is printed), 2 usage or
// load errors.
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import jsonld from 'jsonld'
import N3 from 'n3'
import rdf from 'rdf-ext'
import { Validator } from 'shacl-engine'

const CONTEXT_URL = 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld'

async function main () {
  const { values, positionals } = parseArgs({
    options: { shapes: { type: 'string' }, context: { type: 'string' } },
    allowPositionals: true
  })
  if (!values.shapes || !values.context || positionals.length !== 1) {
    console.error('usage: node validate.mjs --shapes spdx-model.ttl --context spdx-context.jsonld doc.json')
    process.exit(2)
  }
  const context = JSON.parse(await readFile(values.context, 'utf8'))
  const documentLoader = async (url) => {
    if (url === CONTEXT_URL) {
      return { contextUrl: null, documentUrl: url, document: context }
    }
    throw new Error(`offline: refusing to load ${url}`)
  }

  const model = new N3.Parser().parse(await readFile(values.shapes, 'utf8'))
  const doc = JSON.parse(await readFile(positionals[0], 'utf8'))
  const nquads = await jsonld.toRDF(doc, { format: 'application/n-quads', documentLoader, safe: true })
  const data = new N3.Parser({ format: 'N-Quads' }).parse(nquads)
  if (data.length === 0) {
    console.error('the document expands to no RDF triples')
    process.exit(1)
  }

  const shapes = rdf.dataset(model)
  const dataset = rdf.dataset([...data, ...model])
  const validator = new Validator(shapes, { factory: rdf })
  const report = await validator.validate({ dataset })
  if (report.conforms) {
    console.log(`conforms: ${data.length} triples`)
    return
  }
  for (const r of report.results) {
    const path = r.path?.map?.(p => p.predicates?.map(t => t.value).join('|')).join('/') ?? ''
    const msg = r.message?.map(m => m.value).join('; ') ?? ''
    console.log(`${r.severity?.value ?? ''} focus=${r.focusNode?.value} path=${path} value=${r.value?.value ?? ''} constraint=${r.constraintComponent?.value ?? ''} ${msg}`)
  }
  console.log(`does not conform: ${report.results.length} results`)
  process.exit(1)
}

main().catch(err => {
  console.error(err?.stack ?? String(err))
  process.exit(2)
})
