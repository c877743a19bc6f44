import { Option } from "commander";
import type { Database } from "../database.js";
import { ACL_ACTIONS, type AclAction } from "../schema.js";
import { TopicManager } from "../topic-manager.js";
import { baseCommand, CommandError } from "./common.js";
import type { Prompter } from "./prompt.js";
import { type CommandIo, runJob } from "./user-mgr.js";

type Job = (db: Database, say: (line: string) => void, prompter: Prompter) => Promise<void>;

/**
 * Run aMQTT's `topic_mgr`: `sync`, `list`, `add <topic> -c <id> -a <action>`,
 * `rm <topic> -c <id> -a <action>` on the `topic_auth` table. Resolves with the exit code.
 */
export async function runTopicMgr(argv: readonly string[], io: CommandIo = {}): Promise<number> {
  let job: { run: Job; sync: boolean } | undefined;
  const command = baseCommand(
    "topic_mgr",
    "Add and remove the topics a client may publish, subscribe to or receive, in the auth database.",
  );
  const action = () =>
    new Option("-a, --action <action>", "action for topic to allow")
      .choices(ACL_ACTIONS)
      .makeOptionMandatory();
  command
    .command("sync")
    .description("Create the tables for user names and topic lists (non-destructive).")
    .helpOption("--help", "show this help")
    .action(() => {
      job = {
        sync: true,
        run: async (db, say) => {
          await new TopicManager(db).sync();
          say("Success: database synced.");
        },
      };
    });
  command
    .command("list")
    .description("List every client's topic lists, in alphabetical order.")
    .helpOption("--help", "show this help")
    .action(() => {
      job = {
        sync: false,
        run: async (db, say) => {
          const records = await new TopicManager(db).list();
          for (const r of records)
            say(
              `'${r.username}':\n\tpublish: [${r.publish}], subscribe: [${r.subscribe}], receive: [${r.receive}]`,
            );
          if (records.length === 0) say("No client authorizations exist.");
        },
      };
    });
  command
    .command("add")
    .description("Allow a topic (MQTT wildcards allowed) for an action of a client.")
    .argument("<topic>", "the topic or filter")
    .requiredOption("-c, --client-id <id>", "id of the client")
    .addOption(action())
    .helpOption("--help", "show this help")
    .action((topic: string, opts: { clientId: string; action: AclAction }) => {
      job = {
        sync: false,
        run: async (db, say) => {
          const topics = new TopicManager(db);
          // As aMQTT: the client's row is created on its first topic.
          const record = await topics.get(opts.clientId);
          if (record === undefined) await topics.create(opts.clientId);
          else if (record[opts.action].includes(topic))
            throw new CommandError(`Topic '${topic}' already exists for '${opts.action}'.`);
          await topics.addTopic(opts.clientId, topic, opts.action);
          say(`Success: topic '${topic}' added to ${opts.action} for '${opts.clientId}'`);
        },
      };
    });
  command
    .command("rm")
    .description("Remove a topic from an action of a client.")
    .argument("<topic>", "the topic or filter")
    .requiredOption("-c, --client-id <id>", "id of the client")
    .addOption(action())
    .helpOption("--help", "show this help")
    .action((topic: string, opts: { clientId: string; action: AclAction }) => {
      job = {
        sync: false,
        run: async (db, say) => {
          const topics = new TopicManager(db);
          const record = await topics.get(opts.clientId);
          if (record === undefined) throw new CommandError(`client '${opts.clientId}' doesn't exist.`);
          if (!record[opts.action].includes(topic))
            throw new CommandError(
              `Error: topic '${topic}' not in the ${opts.action} allow list for ${opts.clientId}.`,
            );
          await topics.removeTopic(opts.clientId, topic, opts.action);
          say(`Success: removed topic '${topic}' from ${opts.action} for '${opts.clientId}'`);
        },
      };
    });
  return runJob(command, argv, io, () => job);
}
