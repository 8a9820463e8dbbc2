// The "notifications" window: a second window joined to the shared feed the main window opened
// (`join(name)`: one upstream connection for both windows). It lists what it receives and tells the
// main window, whose `window.__demo.notifications()` the end-to-end test reads.
import { invoke } from '@tauri-apps/api/core';
import { emitTo } from '@tauri-apps/api/event';
import { joinFeed, type WireError } from './connect.js';

export const NOTIFICATIONS_WINDOW = 'notifications';
/** What this window reports to the main one, one event per message received or error. */
export const NOTIFICATIONS_EVENT = 'demo://notifications';
/** A feed not open yet is looked for again this often. */
const RETRY_MS = 300;

export interface NotificationReport {
  kind: 'event' | 'error';
  lastEventId?: string;
  data?: string;
  error?: WireError;
  /** The error closed the source. */
  closed?: boolean;
}

export async function run(): Promise<void> {
  const [feed, types] = await invoke<[string, string[]]>('notifications_feed');
  document.title = `notifications · ${feed}`;
  document.body.innerHTML = `<header class="bar"><h1>notifications <span class="dim">/ joined to "${feed}"</span></h1></header><ol class="notifications"></ol>`;
  const list = document.querySelector('ol')!;
  const show = (text: string) => list.insertAdjacentHTML('afterbegin', `<li>${text.replace(/</g, '&lt;')}</li>`);
  const report = (payload: NotificationReport) => void emitTo('main', NOTIFICATIONS_EVENT, payload);
  const join = () =>
    joinFeed(feed, types, {
      open: () => show('joined: open'),
      event: (type, data, lastEventId) => {
        show(`#${lastEventId} ${type} ${data}`);
        report({ kind: 'event', lastEventId, data });
      },
      error: (error, readyState) => {
        // The main window has not opened the feed yet: look again.
        if (error.kind === 'not-found') return void setTimeout(join, RETRY_MS);
        show(`${error.kind}${readyState === 2 ? ' (closed)' : ''}: ${error.message}`);
        report({ kind: 'error', error, closed: readyState === 2 });
      },
    });
  join();
}
