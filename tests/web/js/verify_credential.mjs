// Digital Bazaar's verifier, as an outside check of certify's credentials (issue 20):
// @digitalbazaar/vc with the eddsa-jcs-2022 cryptosuite, and jsonld.js expanding the
// credential in safe mode (which refuses a document whose terms are undefined or dropped).
// Status lists are checked with @digitalbazaar/vc-bitstring-status-list (their proofs too).
// Reads {"credential", "didDocument", "contexts": {url: document}} on stdin (contexts also
// holds the status-list credentials by URL); no network: every document comes from stdin or
// from the npm packages. Prints one JSON line.
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {createVerifyCryptosuite} from '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {contexts as vcContexts} from '@digitalbazaar/credentials-context';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import jsonld from 'jsonld';

const input = JSON.parse(await new Promise(resolve => {
  let text = '';
  process.stdin.on('data', chunk => { text += chunk; });
  process.stdin.on('end', () => resolve(text));
}));
const {credential, didDocument} = input;
const known = new Map([...vcContexts, ...Object.entries(input.contexts || {})]);

async function documentLoader(url) {
  if(known.has(url)) {
    return {contextUrl: null, documentUrl: url, document: known.get(url)};
  }
  if(url.startsWith('did:')) {
    const [did, fragment] = url.split('#');
    if(did !== didDocument.id) {
      throw new Error(`unknown DID ${did}`);
    }
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document: didDocument};
    }
    const method = didDocument.verificationMethod.find(m => m.id === url);
    if(!method) {
      throw new Error(`unknown verification method ${url}`);
    }
    return {
      contextUrl: null, documentUrl: url,
      document: {'@context': 'https://w3id.org/security/multikey/v1', ...method}
    };
  }
  throw new Error(`no network in this check: ${url}`);
}

const suite = new DataIntegrityProof({cryptosuite: createVerifyCryptosuite()});
const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
const statuses = ((result.statusResult || {}).results || []).map(
  r => ({purpose: r.statusPurpose, set: r.status, verified: r.verified}));
let expanded = null;
let safeError = null;
try {
  expanded = await jsonld.expand(credential, {documentLoader, safe: true});
} catch(error) {
  safeError = String(error && (error.details ? JSON.stringify(error.details) : error));
}
const errors = [];
for(const r of result.results || []) {
  if(r.error) {
    errors.push(String(r.error.message || r.error));
  }
}
if(result.error && !errors.length) {
  errors.push(String(result.error.message || result.error));
}
process.stdout.write(JSON.stringify({
  verified: result.verified, errors, statuses, safeError, expanded
}));
