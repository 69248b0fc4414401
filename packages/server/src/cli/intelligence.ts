import type { Command } from 'commander';
import { withJson } from './output.js';
import type { EvaluateOptions } from './intelligence-evaluate.js';

export function registerIntelligenceCommands(program: Command): void {
  const intelligence = program.command('intelligence').description('The built-in classifier and the providers that suggest a triage');
  withJson(intelligence.command('evaluate'))
    .description('Train the built-in classifier on one CSV and report accuracy and macro-F1 on another (columns text,category)')
    .requiredOption('--train <csv>', 'training examples: a CSV with a header naming the columns text and category')
    .requiredOption('--test <csv>', 'held-out examples in the same format')
    .action(async (o: EvaluateOptions) => (await import('./intelligence-evaluate.js')).runEvaluate(o));
}
