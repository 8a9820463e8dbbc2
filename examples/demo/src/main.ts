// Entry point of both demo windows: the main window (three transport columns, `window.__demo`) and
// the small "notifications" window, which joins the shared feed the main window opened.
import { getCurrentWebviewWindow } from '@tauri-apps/api/webviewWindow';
import { NOTIFICATIONS_WINDOW } from './notifications.js';

if (getCurrentWebviewWindow().label === NOTIFICATIONS_WINDOW) await (await import('./notifications.js')).run();
else await import('./app.js');
