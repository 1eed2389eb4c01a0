// Preloaded (`node -r`) into cognito-backup-restore by the Cognito benchmarks (bench/cognito.py):
// points the aws-sdk v2 it uses at a local endpoint. The tool has no endpoint option, and aws-sdk
// v2 ignores AWS_ENDPOINT_URL, so without this it would always call real AWS.
// CBR_DIR: the tool's package directory (to load its own aws-sdk); CBR_ENDPOINT: the URL.
const AWS = require(require.resolve("aws-sdk", { paths: [process.env.CBR_DIR] }));
AWS.config.update({ cognitoidentityserviceprovider: { endpoint: process.env.CBR_ENDPOINT } });
