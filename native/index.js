// Loads the compiled addon; throws (with node-gyp's reason in the message) when it was not built.
module.exports = require('./build/Release/nmt_blas.node');
