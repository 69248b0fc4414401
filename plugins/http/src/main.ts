// Entry point started by the Latch host (`node dist/main.js`): speaks the plugin protocol on stdio.
import { createHttpPlugin } from './plugin.js';

createHttpPlugin().serve();
