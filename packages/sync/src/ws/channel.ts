import type { WebSocket } from 'ws';
import type { Channel, CloseInfo } from '../channel.ts';

// WebSocket close reasons are limited to 123 bytes.
const MAX_REASON = 120;

/** Adapts an open `ws` WebSocket to a sync Channel (one text frame per message). */
export function createWebSocketChannel(socket: WebSocket): Channel {
  let closeListener: ((info: CloseInfo) => void) | undefined;
  let closed = false;
  const finish = (reason: string): void => {
    if (closed) return;
    closed = true;
    closeListener?.({ reason });
  };
  socket.on('close', (code, reason) => finish(reason.length > 0 ? reason.toString() : `websocket closed (${code})`));
  socket.on('error', (error) => {
    finish(`websocket error: ${error.message}`);
    socket.terminate();
  });
  return {
    send(frame) {
      socket.send(frame);
    },
    onMessage(listener) {
      socket.on('message', (data, isBinary) => {
        // Frames are text; a binary frame is passed on empty so the session counts it as invalid.
        if (isBinary) listener('');
        else if (Array.isArray(data)) listener(Buffer.concat(data).toString('utf8'));
        // A Buffer (ws's default) decodes in place; Buffer.from would copy it first.
        else if (Buffer.isBuffer(data)) listener(data.toString('utf8'));
        else listener(Buffer.from(data).toString('utf8'));
      });
    },
    close(reason = 'closed') {
      finish(reason);
      socket.close(1000, reason.slice(0, MAX_REASON));
    },
    onClose(listener) {
      closeListener = listener;
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
  };
}
