// Entry point started by the Latch host (`node dist/main.js`): speaks the plugin protocol on stdio.
import { createStripePlugin } from './plugin.js';

createStripePlugin().serve();
