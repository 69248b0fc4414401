// Entry point started by the Latch host (`node dist/main.js`): speaks the plugin protocol on stdio.
import { createSlackPlugin } from './plugin.js';

createSlackPlugin().serve();
