/** Why a channel closed, as far as this end knows. */
export interface CloseInfo {
  /** A sync error code when the session closed it, otherwise a transport-specific reason. */
  readonly reason: string;
}

/**
 * An abstract duplex link carrying text frames, reliable and ordered in the intended transports
 * (WebSocket); the session itself tolerates duplicates and reordering and detects losses.
 */
export interface Channel {
  send(frame: string): void;
  /** Sets the single receiver of inbound frames. */
  onMessage(listener: (frame: string) => void): void;
  close(reason?: string): void;
  /** Sets the single listener called once when the link closes, from either end. */
  onClose(listener: (info: CloseInfo) => void): void;
  /** Bytes handed to `send` and not yet taken by the other end, if the transport knows. */
  readonly bufferedAmount?: number;
}
