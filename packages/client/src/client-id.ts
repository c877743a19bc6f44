const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** aMQTT's generated client identifier: `amqtt/` and 16 letters or digits drawn with `random`. */
export function generateClientId(random: () => number): string {
  let id = "amqtt/";
  for (let i = 0; i < 16; i++) id += alphabet[Math.floor(random() * alphabet.length)];
  return id;
}
