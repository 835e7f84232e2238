package live

// ChangeOf exposes changeOf to the tests.
var ChangeOf = changeOf
