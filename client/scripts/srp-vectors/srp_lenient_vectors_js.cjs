#!/usr/bin/env node
// Vectors for the inputs amazon-cognito-identity-js accepts beyond canonical Cognito answers:
// SECRET_BLOCKs that are not canonical base64 (an emulator's UUID, whitespace, url-safe
// characters, missing padding, data after `=`, non-ASCII) and SRP_B forms (surrounding
// whitespace, a `+` sign, underscores between digits).
//
// Drives the real client path, as srp_vectors_js.cjs does: CognitoUser.authenticateUser
// (USER_SRP_AUTH) with a fake `client.request`; only the random `a`
// (AuthenticationHelper.prototype.generateRandomSmallA) and the clock
// (DateHelper.prototype.getNowString) are monkeypatched. No network access is made.
// `decode_cases` are strings decoded by `Buffer.from(s, 'base64')` alone (the call
// CognitoUser.js makes on SECRET_BLOCK), with the browser bundle's `buffer` package result
// alongside for the record (it drops non-ASCII characters where Node keeps their low byte).
//
// Usage (from the crate root; node_modules in a temp dir):
//   (cd "$TMP" && npm install amazon-cognito-identity-js@6.3.21)
//   NODE_PATH="$TMP/node_modules" node scripts/srp-vectors/srp_lenient_vectors_js.cjs \
//     > tests/data/srp/srp_vectors_lenient_amazon_cognito_identity_js.json
// then scripts/srp-vectors/srp_lenient_vectors.py reads that file (pycognito's view).
'use strict';

const crypto = require('crypto');
const {
	CognitoUserPool,
	CognitoUser,
	AuthenticationDetails,
} = require('amazon-cognito-identity-js');
const AuthenticationHelper =
	require('amazon-cognito-identity-js/lib/AuthenticationHelper').default;
const DateHelper = require('amazon-cognito-identity-js/lib/DateHelper').default;
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger').default;
const pkgVersion = require('amazon-cognito-identity-js/package.json').version;
// CognitoUser.js does `require("buffer")`: on Node that is the built-in module.
const NodeBuffer = require('buffer').Buffer;
if (NodeBuffer !== globalThis.Buffer) throw new Error('require("buffer") is not Node\'s Buffer');
// The npm package the browser bundles resolve "buffer" to (a dependency of the client).
const BrowserBuffer = require('buffer/').Buffer;
const browserVersion = require('buffer/package.json').version;

let currentA = null;
let currentTimestamp = null;
AuthenticationHelper.prototype.generateRandomSmallA = function () {
	return new BigInteger(currentA, 16);
};
DateHelper.prototype.getNowString = function () {
	return currentTimestamp;
};

class MemoryStorage {
	constructor() {
		this.m = {};
	}
	setItem(k, v) {
		this.m[k] = v;
	}
	getItem(k) {
		return Object.prototype.hasOwnProperty.call(this.m, k) ? this.m[k] : null;
	}
	removeItem(k) {
		delete this.m[k];
	}
	clear() {
		this.m = {};
	}
}

function runCase(c) {
	return new Promise((resolve, reject) => {
		currentA = c.a_hex;
		currentTimestamp = c.timestamp;
		const storage = new MemoryStorage();
		const pool = new CognitoUserPool({
			UserPoolId: c.user_pool_id,
			ClientId: 'unusedclientid',
			Storage: storage,
		});
		const user = new CognitoUser({ Username: c.username, Pool: pool, Storage: storage });
		let srpA = null;
		user.client = {
			request(op, params, cb) {
				if (op === 'InitiateAuth') {
					srpA = params.AuthParameters.SRP_A;
					cb(null, {
						ChallengeName: 'PASSWORD_VERIFIER',
						ChallengeParameters: {
							USERNAME: c.username,
							USER_ID_FOR_SRP: c.user_id_for_srp,
							SALT: c.salt_hex,
							SRP_B: c.srp_b_hex,
							SECRET_BLOCK: c.secret_block_b64,
						},
					});
				} else if (op === 'RespondToAuthChallenge') {
					resolve({ srpA, responses: params.ChallengeResponses });
					cb(Object.assign(new Error('captured'), { code: 'Captured' }));
				} else {
					reject(new Error(`unexpected operation ${op}`));
				}
			},
		};
		user.authenticateUser(
			new AuthenticationDetails({ Username: c.username, Password: c.password }),
			{
				onSuccess() {},
				onFailure(err) {
					if (err && err.code !== 'Captured') reject(err);
				},
			}
		);
	});
}

// The aws-cognito-srp inputs (a = 0x01 * 128, salt = B = 36ef01c6...), one input changed.
const BASE = {
	user_pool_id: 'us-west-2_abc',
	user_id_for_srp: 'user_id',
	username: 'user_id',
	password: 'password',
	a_hex: '01'.repeat(128),
	salt_hex: '36ef01c6dde9fe503da333b1acc758ba',
	srp_b_hex: '36ef01c6dde9fe503da333b1acc758ba',
	secret_block_b64: 'c2VjcmV0IGJsb2Nr',
	timestamp: 'Mon Feb 10 18:30:12 UTC 2025',
};

const CASES = [
	['SECRET_BLOCK canonical base64 (control)', { secret_block_b64: 'c2VjcmV0IGJsb2Nr' }],
	['SECRET_BLOCK a UUID (moto)', { secret_block_b64: '3f1c2b7a-9d4e-4c61-8b0f-2a9e6d5c4b3a' }],
	['SECRET_BLOCK with spaces, tab and newline', { secret_block_b64: 'AAEC AwQF\nBgcI\tCQ==' }],
	['SECRET_BLOCK url-safe alphabet', { secret_block_b64: '-_-_AAEC' }],
	['SECRET_BLOCK both alphabets mixed', { secret_block_b64: 'ab+/cd-_' }],
	['SECRET_BLOCK missing padding (7 characters)', { secret_block_b64: 'AAECAwQ' }],
	['SECRET_BLOCK missing padding (6 characters)', { secret_block_b64: 'AAECAw' }],
	['SECRET_BLOCK one character past a group', { secret_block_b64: 'AAECA' }],
	['SECRET_BLOCK non-zero trailing bits', { secret_block_b64: 'AB' }],
	['SECRET_BLOCK too much padding', { secret_block_b64: 'AAECAwQ==' }],
	['SECRET_BLOCK data after =', { secret_block_b64: 'AAEC=AwQF' }],
	['SECRET_BLOCK empty', { secret_block_b64: '' }],
	['SECRET_BLOCK punctuation only', { secret_block_b64: '!!!!' }],
	['SECRET_BLOCK non-ASCII (U+0141 reads as A on Node)', { secret_block_b64: 'AAEC\u0141wQF' }],
	['SRP_B with surrounding whitespace', { srp_b_hex: ' \t36ef01c6dde9fe503da333b1acc758ba\r\n' }],
	['SRP_B with a + sign', { srp_b_hex: '+36ef01c6dde9fe503da333b1acc758ba' }],
	['SRP_B with underscores between digits', { srp_b_hex: '36ef_01c6_dde9fe503da333b1acc758ba' }],
	['SRP_B with whitespace, sign and underscores', { srp_b_hex: '\f +36_ef01c6dde9fe503da333b1acc758ba\u000b' }],
	['USER_ID_FOR_SRP empty', { user_id_for_srp: '', username: '' }],
];

// Strings for the decoder alone: every kind of character Node's decoder treats specially.
function decodeCases() {
	const pieces = [
		...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_',
		'=', '=', ' ', '\t', '\n', '\r', '!', '.', '*', '\u00e9', '\u0141', '\u0130',
		'\u013d', '\u20ac', '\ud83d\ude00',
	];
	const out = [];
	for (let i = 0; i < 200; i++) {
		const seed = crypto.createHash('sha256').update(`decode/${i}`).digest();
		const len = seed[0] % 41;
		let s = '';
		for (let j = 0; j < len; j++) {
			const h = crypto.createHash('sha256').update(`decode/${i}/${j}`).digest();
			// Mostly alphabet characters, sometimes a special one.
			s += h[1] < 200 ? pieces[h[0] % 64] : pieces[64 + (h[0] % (pieces.length - 64))];
		}
		out.push({
			input: s,
			node_hex: NodeBuffer.from(s, 'base64').toString('hex'),
			browser_buffer_hex: BrowserBuffer.from(s, 'base64').toString('hex'),
		});
	}
	return out;
}

async function main() {
	const cases = [];
	for (const [name, change] of CASES) {
		const c = Object.assign({ name }, BASE, change);
		const { srpA, responses } = await runCase(c);
		if (responses.PASSWORD_CLAIM_SECRET_BLOCK !== c.secret_block_b64) {
			throw new Error(`${name}: the secret block was not sent back unchanged`);
		}
		cases.push(
			Object.assign({}, c, {
				expected: {
					srp_a_hex: srpA,
					signature_b64: responses.PASSWORD_CLAIM_SIGNATURE,
					username: responses.USERNAME,
					secret_block_hex: NodeBuffer.from(c.secret_block_b64, 'base64').toString('hex'),
				},
			})
		);
	}
	const doc = {
		_provenance:
			`Generated by scripts/srp-vectors/srp_lenient_vectors_js.cjs with amazon-cognito-identity-js ${pkgVersion} ` +
			`(CognitoUser.authenticateUser, USER_SRP_AUTH) on node ${process.version}, with a fake ` +
			'client.request; only AuthenticationHelper.prototype.generateRandomSmallA and ' +
			'DateHelper.prototype.getNowString are monkeypatched. "cases": the aws-cognito-srp inputs ' +
			'with one input in a form a strict parser refuses (same schema as the other files, plus ' +
			'expected.secret_block_hex = Buffer.from(SECRET_BLOCK, "base64")). "decode_cases": ' +
			'Buffer.from(input, "base64") on node (node_hex) and with the npm package buffer ' +
			`${browserVersion} that browser bundles use (browser_buffer_hex, for the record).`,
		cases,
		decode_cases: decodeCases(),
	};
	process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
}

main().catch(e => {
	process.stderr.write(String(e && e.stack) + '\n');
	process.exit(2);
});
