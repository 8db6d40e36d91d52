import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { sortCatalog, validateTitle } from '@/features/catalog/components/catalog-admin';
import { gqlError, type Handler } from '@/test/mock-client';
import { renderApp, sessions } from '@/test/render';

type S = { id: string; name: string; version: string; label: string; retired: boolean };
const title = (id: string, name: string, version: string, retired = false): S => ({
  id,
  name,
  version,
  label: `${name} ${version}`.trim(),
  retired,
});
const catalog = [title('1', 'Autodesk AutoCAD', '2025'), title('2', 'Old CAD', '1.0', true), title('3', 'Autodesk Revit', '2025')];

function setup(handlers: Record<string, Handler> = {}) {
  return renderApp({
    path: '/admin/catalog',
    session: sessions.admin,
    handlers: { AdminCatalog: () => ({ data: { softwareCatalog: catalog } }), ...handlers },
  });
}

const row = (label: string) =>
  screen.getAllByTestId('software-row').find((r) => r.getAttribute('data-label') === label) as HTMLElement;

describe('/admin/catalog', () => {
  it('is for admins only', async () => {
    const { calls } = renderApp({ path: '/admin/catalog', session: sessions.agent });
    expect(await screen.findByTestId('not-allowed')).toHaveTextContent('administrators only');
    expect(calls).toHaveLength(0);
  });

  it('lists every title with the retired ones marked, last, asking for them', async () => {
    const { calls } = setup();
    await screen.findByTestId('catalog-table');
    const labels = screen.getAllByTestId('software-row').map((r) => r.getAttribute('data-label'));
    expect(labels).toEqual(['Autodesk AutoCAD 2025', 'Autodesk Revit 2025', 'Old CAD 1.0']);
    expect(within(row('Old CAD 1.0')).getByTestId('software-state')).toHaveTextContent('Retired');
    expect(within(row('Autodesk Revit 2025')).getByTestId('software-state')).toHaveTextContent('Offered');
    expect(calls[0]?.name).toBe('AdminCatalog');
  });

  it('adds, renames, retires and restores titles', async () => {
    const user = userEvent.setup();
    const { calls } = setup({
      AddSoftware: (v) => ({ data: { addSoftware: title('9', String(v.name), String(v.version ?? '')) } }),
      UpdateSoftware: (v) => ({ data: { updateSoftware: title(String(v.id), String(v.name), String(v.version)) } }),
      RetireSoftware: (v) => ({ data: { retireSoftware: { ...title(String(v.id), 'Autodesk Revit', '2025'), retired: true } } }),
      RestoreSoftware: (v) => ({ data: { restoreSoftware: title(String(v.id), 'Old CAD', '1.0') } }),
    });
    await screen.findByTestId('catalog-table');

    await user.type(screen.getByLabelText('Name'), 'Blender');
    await user.type(screen.getByLabelText('Version'), '4.2');
    await user.click(screen.getByRole('button', { name: 'Add title' }));
    await waitFor(() => expect(row('Blender 4.2')).toBeDefined());
    expect(calls.find((c) => c.name === 'AddSoftware')?.variables).toEqual({ name: 'Blender', version: '4.2' });

    await user.click(within(row('Autodesk AutoCAD 2025')).getByTestId('rename-software'));
    const name = screen.getByTestId('rename-name');
    await user.clear(name);
    await user.type(name, 'AutoCAD LT');
    await user.click(screen.getByTestId('rename-save'));
    await waitFor(() => expect(row('AutoCAD LT 2025')).toBeDefined());
    expect(calls.find((c) => c.name === 'UpdateSoftware')?.variables).toEqual({ id: '1', name: 'AutoCAD LT', version: '2025' });

    await user.click(within(row('Autodesk Revit 2025')).getByTestId('retire-software'));
    await waitFor(() => expect(row('Autodesk Revit 2025').getAttribute('data-retired')).toBe('true'));

    await user.click(within(row('Old CAD 1.0')).getByTestId('restore-software'));
    await waitFor(() => expect(row('Old CAD 1.0').getAttribute('data-retired')).toBe('false'));
  });

  it('asks for a name first, and shows the server refusal', async () => {
    const user = userEvent.setup();
    const { calls } = setup({ AddSoftware: () => gqlError('CONFLICT', 'that title exists') });
    await screen.findByTestId('catalog-table');
    await user.click(screen.getByRole('button', { name: 'Add title' }));
    expect(await screen.findByTestId('add-software-error')).toHaveTextContent('Enter the name');
    expect(calls.some((c) => c.name === 'AddSoftware')).toBe(false);
    await user.type(screen.getByLabelText('Name'), 'Autodesk AutoCAD');
    await user.click(screen.getByRole('button', { name: 'Add title' }));
    expect(await screen.findByTestId('add-software-error')).toHaveTextContent('Someone else changed this');
  });

  it('keeps its rules', () => {
    expect(validateTitle(' ', '')).toMatch(/name/);
    expect(validateTitle('x'.repeat(121), '')).toMatch(/at most 120/);
    expect(validateTitle('Blender', '')).toBeNull();
    expect(sortCatalog([title('1', 'B', '1', true), title('2', 'A', '1')]).map((s) => s.id)).toEqual(['2', '1']);
  });
});
