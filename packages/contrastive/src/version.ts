/** The library version, written into every bundle manifest. Kept equal to package.json by a test. @group Utilities */
export const VERSION = '0.1.0';
