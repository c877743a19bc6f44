export {
  formatPasswordFile,
  PasswordFileError,
  parsePasswordFile,
  readPasswordFile,
} from "./password-file.js";
export {
  type HashPasswordOptions,
  hashPassword,
  type PasswordHashFormat,
  passwordHashFormat,
  UnsupportedPasswordHashError,
  verifyPassword,
} from "./password-hash.js";
export * from "./scram/index.js";
