import { formatDateTime } from '@/utils/format';

export function DateTime({ value }: { value: string }) {
  return (
    <time dateTime={value} title={value}>
      {formatDateTime(value)}
    </time>
  );
}
