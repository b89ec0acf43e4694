#!/usr/bin/env node
// Cross-check the pycognito device SRP vectors with amazon-cognito-identity-js, through its real
// client path (no network access: `client.request` is a fake that answers and captures):
// - verifier_cases: CognitoUser.authenticateUser (USER_SRP_AUTH) whose tokens carry
//   NewDeviceMetadata, so the client runs AuthenticationHelper.generateHashDevice and sends
//   ConfirmDevice; the captured DeviceSecretVerifierConfig and the device password it cached
//   are compared. Only WordArray.prototype.random (the source of randomBytes: the 40 password
//   bytes, then the 16 salt bytes) and generateRandomSmallA are replaced.
// - claim_cases: authenticateUser with the device cached in the storage: the client sends
//   DEVICE_KEY, answers DEVICE_SRP_AUTH (SRP_A from the case's a) and DEVICE_PASSWORD_VERIFIER;
//   the captured SRP_A and PASSWORD_CLAIM_SIGNATURE are compared. The clock
//   (DateHelper.prototype.getNowString) is replaced too.
//
// Usage (from client/; node_modules in a temp dir):
//   (cd "$TMP" && npm install amazon-cognito-identity-js@6.3.21)
//   NODE_PATH="$TMP/node_modules" node scripts/srp-vectors/srp_device_vectors_js.cjs \
//     tests/data/srp/srp_device_vectors_pycognito.json \
//     > tests/data/srp/srp_device_vectors_amazon_cognito_identity_js.json
'use strict';

const fs = require('fs');
const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require('amazon-cognito-identity-js');
const AuthenticationHelper = require('amazon-cognito-identity-js/lib/AuthenticationHelper').default;
const DateHelper = require('amazon-cognito-identity-js/lib/DateHelper').default;
const BigInteger = require('amazon-cognito-identity-js/lib/BigInteger').default;
const WordArray = require('amazon-cognito-identity-js/lib/utils/WordArray').default;
const pkgVersion = require('amazon-cognito-identity-js/package.json').version;

const CLIENT_ID = 'unusedclientid';
let aQueue = [];
let randomQueue = [];
let currentTimestamp = 'Thu Jan 1 00:00:00 UTC 1970';
AuthenticationHelper.prototype.generateRandomSmallA = function () {
	if (!aQueue.length) throw new Error('no a left');
	return new BigInteger(aQueue.shift(), 16);
};
WordArray.prototype.random = function (nBytes) {
	if (!randomQueue.length) throw new Error(`no random bytes left for ${nBytes}`);
	const bytes = randomQueue.shift();
	if (bytes.length !== nBytes) throw new Error(`asked ${nBytes} random bytes, have ${bytes.length}`);
	const words = [];
	for (let i = 0; i < nBytes; i += 4) {
		words.push(bytes.readUInt32BE(i) | 0);
	}
	return new WordArray(words, nBytes);
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

function fakeJwt(payload) {
	const part = o => Buffer.from(JSON.stringify(o)).toString('base64url');
	return `${part({ alg: 'RS256', kid: 'k' })}.${part(payload)}.c2ln`;
}

const TOKENS = {
	AccessToken: fakeJwt({ sub: 's', token_use: 'access', exp: 4102444800, iat: 0, username: 'u' }),
	IdToken: fakeJwt({ sub: 's', token_use: 'id', exp: 4102444800, iat: 0 }),
	RefreshToken: 'refresh',
	ExpiresIn: 3600,
	TokenType: 'Bearer',
};

// Any valid PASSWORD_VERIFIER challenge: the user step's signature is not checked here.
const USER_CHALLENGE = {
	SALT: '36ef01c6dde9fe503da333b1acc758ba',
	SRP_B: '36ef01c6dde9fe503da333b1acc758ba',
	SECRET_BLOCK: 'c2VjcmV0IGJsb2Nr',
};

function newUser(username, storage) {
	const pool = new CognitoUserPool({ UserPoolId: 'us-east-1_DevicePool', ClientId: CLIENT_ID, Storage: storage });
	return new CognitoUser({ Username: username, Pool: pool, Storage: storage });
}

function runVerifierCase(c) {
	return new Promise((resolve, reject) => {
		const storage = new MemoryStorage();
		const username = 'device-user';
		const user = newUser(username, storage);
		aQueue = ['01'.repeat(128)];
		randomQueue = [Buffer.from(c.password_bytes_hex, 'hex'), Buffer.from(c.salt_bytes_hex, 'hex')];
		let config = null;
		user.client = {
			request(op, params, cb) {
				if (op === 'InitiateAuth') {
					cb(null, {
						ChallengeName: 'PASSWORD_VERIFIER',
						ChallengeParameters: Object.assign({ USERNAME: username, USER_ID_FOR_SRP: username }, USER_CHALLENGE),
					});
				} else if (op === 'RespondToAuthChallenge') {
					cb(null, {
						AuthenticationResult: Object.assign({}, TOKENS, {
							NewDeviceMetadata: { DeviceKey: c.device_key, DeviceGroupKey: c.device_group_key },
						}),
					});
				} else if (op === 'ConfirmDevice') {
					config = params.DeviceSecretVerifierConfig;
					if (params.DeviceKey !== c.device_key) reject(new Error('wrong DeviceKey'));
					cb(null, { UserConfirmationNecessary: false });
				} else {
					reject(new Error(`unexpected operation ${op}`));
				}
			},
		};
		user.authenticateUser(new AuthenticationDetails({ Username: username, Password: 'pw' }), {
			onSuccess() {
				const prefix = `CognitoIdentityServiceProvider.${CLIENT_ID}.${username}`;
				if (randomQueue.length) return reject(new Error('random bytes left over'));
				resolve({
					config,
					devicePassword: storage.getItem(`${prefix}.randomPasswordKey`),
					deviceKey: storage.getItem(`${prefix}.deviceKey`),
					deviceGroupKey: storage.getItem(`${prefix}.deviceGroupKey`),
				});
			},
			onFailure: reject,
		});
	});
}

function runClaimCase(c) {
	return new Promise((resolve, reject) => {
		const storage = new MemoryStorage();
		const username = c.username;
		const prefix = `CognitoIdentityServiceProvider.${CLIENT_ID}.${username}`;
		storage.setItem(`${prefix}.deviceKey`, c.user_id_for_srp);
		storage.setItem(`${prefix}.deviceGroupKey`, c.pool_name);
		storage.setItem(`${prefix}.randomPasswordKey`, c.password);
		const user = newUser(username, storage);
		aQueue = ['02'.repeat(128), c.a_hex];
		randomQueue = [];
		currentTimestamp = c.timestamp;
		const seen = {};
		user.client = {
			request(op, params, cb) {
				if (op === 'InitiateAuth') {
					cb(null, {
						ChallengeName: 'PASSWORD_VERIFIER',
						ChallengeParameters: Object.assign({ USERNAME: username, USER_ID_FOR_SRP: username }, USER_CHALLENGE),
					});
				} else if (params.ChallengeName === 'PASSWORD_VERIFIER') {
					seen.passwordVerifierDeviceKey = params.ChallengeResponses.DEVICE_KEY;
					cb(null, { ChallengeName: 'DEVICE_SRP_AUTH', Session: 'session-1', ChallengeParameters: {} });
				} else if (params.ChallengeName === 'DEVICE_SRP_AUTH') {
					seen.srpAuth = params.ChallengeResponses;
					seen.srpAuthSession = params.Session;
					cb(null, {
						ChallengeName: 'DEVICE_PASSWORD_VERIFIER',
						Session: 'session-2',
						ChallengeParameters: {
							SALT: c.salt_hex,
							SRP_B: c.srp_b_hex,
							SECRET_BLOCK: c.secret_block_b64,
							USERNAME: username,
						},
					});
				} else if (params.ChallengeName === 'DEVICE_PASSWORD_VERIFIER') {
					seen.verifier = params.ChallengeResponses;
					seen.verifierSession = params.Session;
					cb(null, { AuthenticationResult: TOKENS });
				} else {
					reject(new Error(`unexpected operation ${op} ${params.ChallengeName}`));
				}
			},
		};
		user.authenticateUser(new AuthenticationDetails({ Username: username, Password: 'pw' }), {
			onSuccess() {
				resolve(seen);
			},
			onFailure: reject,
		});
	});
}

async function main() {
	const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
	let mismatches = 0;
	const verifierCheck = [];
	for (const c of input.verifier_cases) {
		const got = await runVerifierCase(c);
		const agrees =
			got.config.PasswordVerifier === c.expected.password_verifier_b64 &&
			got.config.Salt === c.expected.salt_b64 &&
			got.devicePassword === c.expected.device_password &&
			got.deviceKey === c.device_key &&
			got.deviceGroupKey === c.device_group_key;
		if (!agrees) mismatches++;
		process.stderr.write(`${agrees ? 'agrees  ' : 'DIFFERS '} ${c.name}\n`);
		verifierCheck.push({
			name: c.name,
			agrees_with_pycognito: agrees,
			device_password: got.devicePassword,
			password_verifier_b64: got.config.PasswordVerifier,
			salt_b64: got.config.Salt,
		});
	}
	const claimCheck = [];
	for (const c of input.claim_cases) {
		const seen = await runClaimCase(c);
		const r = seen.verifier;
		const agrees =
			seen.passwordVerifierDeviceKey === c.user_id_for_srp &&
			seen.srpAuth.DEVICE_KEY === c.user_id_for_srp &&
			seen.srpAuth.USERNAME === c.username &&
			seen.srpAuthSession === 'session-1' &&
			seen.srpAuth.SRP_A === c.expected.srp_a_hex &&
			seen.verifierSession === 'session-2' &&
			r.PASSWORD_CLAIM_SIGNATURE === c.expected.signature_b64 &&
			r.PASSWORD_CLAIM_SECRET_BLOCK === c.secret_block_b64 &&
			r.TIMESTAMP === c.timestamp &&
			r.DEVICE_KEY === c.user_id_for_srp &&
			r.USERNAME === c.username;
		if (!agrees) mismatches++;
		process.stderr.write(`${agrees ? 'agrees  ' : 'DIFFERS '} ${c.name}\n`);
		claimCheck.push({
			name: c.name,
			agrees_with_pycognito: agrees,
			srp_a_hex: seen.srpAuth.SRP_A,
			device_srp_auth_responses: Object.keys(seen.srpAuth).sort(),
			device_password_verifier_responses: Object.keys(r).sort(),
			signature_b64: r.PASSWORD_CLAIM_SIGNATURE,
		});
	}
	const doc = {
		_provenance:
			`Generated by scripts/srp-vectors/srp_device_vectors_js.cjs with amazon-cognito-identity-js ${pkgVersion} ` +
			`on node ${process.version}: the real CognitoUser.authenticateUser with a fake client.request; ` +
			'verifier_check recomputes every verifier case of srp_device_vectors_pycognito.json (ConfirmDevice ' +
			'after NewDeviceMetadata; WordArray.prototype.random and generateRandomSmallA replaced), ' +
			'claim_check every claim case (DEVICE_SRP_AUTH then DEVICE_PASSWORD_VERIFIER from the cached ' +
			'device; generateRandomSmallA and DateHelper.prototype.getNowString replaced).',
		verifier_check: verifierCheck,
		claim_check: claimCheck,
	};
	process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
	if (mismatches) process.exitCode = 1;
}

main().catch(e => {
	process.stderr.write(String(e && e.stack) + '\n');
	process.exit(2);
});
