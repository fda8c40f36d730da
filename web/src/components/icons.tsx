// Small line icons (24×24, drawn with the current text colour).
import type { ReactNode } from 'react';

function Icon({ children, size = 20 }: { children: ReactNode; size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" focusable="false">
      {children}
    </svg>
  );
}

export const BellIcon = () => (
  <Icon>
    <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
    <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
  </Icon>
);
export const SettingsIcon = () => (
  <Icon size={18}>
    <circle cx="12" cy="12" r="3" />
    <path d="M19.4 15a1.7 1.7 0 0 0 .3 1.8l.1.1a2 2 0 1 1-2.8 2.8l-.1-.1a1.7 1.7 0 0 0-1.8-.3 1.7 1.7 0 0 0-1 1.5V21a2 2 0 1 1-4 0v-.1a1.7 1.7 0 0 0-1.1-1.5 1.7 1.7 0 0 0-1.8.3l-.1.1a2 2 0 1 1-2.8-2.8l.1-.1a1.7 1.7 0 0 0 .3-1.8 1.7 1.7 0 0 0-1.5-1H3a2 2 0 1 1 0-4h.1a1.7 1.7 0 0 0 1.5-1.1 1.7 1.7 0 0 0-.3-1.8l-.1-.1a2 2 0 1 1 2.8-2.8l.1.1a1.7 1.7 0 0 0 1.8.3H9a1.7 1.7 0 0 0 1-1.5V3a2 2 0 1 1 4 0v.1a1.7 1.7 0 0 0 1 1.5 1.7 1.7 0 0 0 1.8-.3l.1-.1a2 2 0 1 1 2.8 2.8l-.1.1a1.7 1.7 0 0 0-.3 1.8V9a1.7 1.7 0 0 0 1.5 1H21a2 2 0 1 1 0 4h-.1a1.7 1.7 0 0 0-1.5 1z" />
  </Icon>
);
export const LaptopIcon = () => (
  <Icon>
    <rect x="4" y="4" width="16" height="11" rx="2" />
    <path d="M2 20h20" />
  </Icon>
);
export const UserIcon = () => (
  <Icon>
    <circle cx="12" cy="8" r="4" />
    <path d="M4 21a8 8 0 0 1 16 0" />
  </Icon>
);
export const TemplateIcon = () => (
  <Icon>
    <rect x="3" y="3" width="18" height="7" rx="1" />
    <rect x="3" y="14" width="9" height="7" rx="1" />
    <rect x="16" y="14" width="5" height="7" rx="1" />
  </Icon>
);
export const InfoIcon = () => (
  <Icon>
    <circle cx="12" cy="12" r="10" />
    <path d="M12 16v-4M12 8h.01" />
  </Icon>
);
export const MailIcon = () => (
  <Icon size={16}>
    <rect x="2" y="4" width="20" height="16" rx="2" />
    <path d="m22 7-10 6L2 7" />
  </Icon>
);
export const WebhookIcon = () => (
  <Icon size={16}>
    <path d="M18 16.98h-5.99c-1.1 0-1.95.94-2.48 1.9A4 4 0 0 1 2 17c.01-.7.2-1.4.57-2" />
    <path d="m6 17 3.13-5.78c.53-.97.1-2.18-.5-3.1a4 4 0 1 1 6.89-4.06" />
    <path d="m12 6 3.13 5.73C15.66 12.7 16.9 13 18 13a4 4 0 0 1 0 8" />
  </Icon>
);
export const InboxIcon = () => (
  <Icon size={16}>
    <path d="M22 12h-6l-2 3h-4l-2-3H2" />
    <path d="M5.45 5.11 2 12v6a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2v-6l-3.45-6.89A2 2 0 0 0 16.76 4H7.24a2 2 0 0 0-1.79 1.11z" />
  </Icon>
);
/** Inbox kinds without a reference icon: tasks, custom notifications, test notifications. */
export const TaskIcon = () => (
  <Icon>
    <rect x="4" y="3" width="16" height="18" rx="2" />
    <path d="M8 9l2 2 4-4M8 16h8" />
  </Icon>
);
export const MessageIcon = () => (
  <Icon>
    <path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z" />
  </Icon>
);
export const FlaskIcon = () => (
  <Icon>
    <path d="M9 3h6M10 3v6L4 19a1.5 1.5 0 0 0 1.3 2h13.4a1.5 1.5 0 0 0 1.3-2L14 9V3" />
    <path d="M7 15h10" />
  </Icon>
);
/** Delivery channels (simple line drawings, not the services' trademarks). */
export const SlackIcon = () => (
  <Icon size={16}>
    <path d="M9 3v18M15 3v18M3 9h18M3 15h18" />
  </Icon>
);
export const TeamsIcon = () => (
  <Icon size={16}>
    <rect x="2" y="6" width="12" height="12" rx="2" />
    <path d="M5 10h6M8 10v5" />
    <circle cx="18" cy="7" r="2" />
    <path d="M16 12h5v4a3 3 0 0 1-5 2" />
  </Icon>
);
export const DiscordIcon = () => (
  <Icon size={16}>
    <path d="M7 7.5a14 14 0 0 1 10 0c1.6 2.4 2.5 5.2 2.5 8.5-1.5 1.3-3 2-4.5 2.5l-1-2M7 7.5C5.4 9.9 4.5 12.7 4.5 16c1.5 1.3 3 2 4.5 2.5l1-2" />
    <path d="M8.5 16c2.3.8 4.7.8 7 0" />
    <circle cx="9.5" cy="12.5" r="1" />
    <circle cx="14.5" cy="12.5" r="1" />
  </Icon>
);
export const PushIcon = () => (
  <Icon size={16}>
    <rect x="2" y="4" width="20" height="14" rx="2" />
    <path d="M8 22h8M12 18v4" />
    <circle cx="17" cy="9" r="2" />
  </Icon>
);
export const NtfyIcon = () => (
  <Icon size={16}>
    <path d="M3 11v2a1 1 0 0 0 1 1h3l5 4V6L7 10H4a1 1 0 0 0-1 1z" />
    <path d="M16 9a4 4 0 0 1 0 6M19 6a8 8 0 0 1 0 12" />
  </Icon>
);
export const SendIcon = () => (
  <Icon size={16}>
    <path d="m22 2-7 20-4-9-9-4z" />
    <path d="M22 2 11 13" />
  </Icon>
);

/** The icon of a delivery channel: a method, or a user destination ("destination:<id>") by its kind. */
export function ChannelIcon({ method, kind }: { method: string; kind?: string }) {
  const m = method.startsWith('destination:') ? (kind ?? 'destination') : method;
  switch (m) {
    case 'inbox':
      return <InboxIcon />;
    case 'webhook':
      return <WebhookIcon />;
    case 'slack':
      return <SlackIcon />;
    case 'teams':
      return <TeamsIcon />;
    case 'discord':
      return <DiscordIcon />;
    case 'webpush':
      return <PushIcon />;
    case 'ntfy':
      return <NtfyIcon />;
    case 'destination':
      return <SendIcon />;
    default:
      return <MailIcon />;
  }
}
