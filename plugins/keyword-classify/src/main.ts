import { plugin } from './plugin.js';

// The process entry point named by latch-plugin.json's command.
plugin.serve();
