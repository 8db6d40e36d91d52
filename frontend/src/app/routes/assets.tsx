import { DevicesList } from '@/features/assets/components/devices-list';

export function AssetsRoute() {
  return <DevicesList />;
}
